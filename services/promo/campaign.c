/* Campaign validation, liveness and diff; see campaign.h. */
#include "campaign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticket.pb-c.h"

#define MAX_SLA_MIN (30 * 24 * 60)

const char *pm_window_name(int kind)
{
	switch (kind) {
	case PEAKDESK__V1__WINDOW_KIND__WINDOW_KIND_PRESALE: return "presale";
	case PEAKDESK__V1__WINDOW_KIND__WINDOW_KIND_DEPOSIT: return "deposit";
	case PEAKDESK__V1__WINDOW_KIND__WINDOW_KIND_FINAL_PAYMENT: return "final_payment";
	case PEAKDESK__V1__WINDOW_KIND__WINDOW_KIND_MAIN_DAY: return "main_day";
	default: return "";
	}
}

static int check_text(const char *what, const char *v, size_t max, int required, pd_errbuf *eb)
{
	if (required && (!v || !*v))
		return pd_fail(eb, PD_EINVAL, "%s is required", what);
	if (v && strlen(v) > max)
		return pd_fail(eb, PD_EINVAL, "%s is longer than %zu bytes", what, max);
	return PD_OK;
}

static int check_windows(const Peakdesk__V1__Campaign *c, pd_errbuf *eb)
{
	if (c->n_windows == 0)
		return pd_fail(eb, PD_EINVAL, "campaign.windows: a campaign needs at least one window");
	for (size_t i = 0; i < c->n_windows; i++) {
		const Peakdesk__V1__CampaignWindow *w = c->windows[i];
		if (!*pm_window_name(w->kind))
			return pd_fail(eb, PD_EINVAL, "campaign.windows[%zu].kind must be presale, deposit, final_payment "
				       "or main_day", i);
		if (w->start_ms <= 0)
			return pd_fail(eb, PD_EINVAL, "campaign.windows[%zu].start_ms is required (unix ms)", i);
		if (w->end_ms <= w->start_ms)
			return pd_fail(eb, PD_EINVAL, "campaign.windows[%zu] (%s) ends before it starts", i,
				       pm_window_name(w->kind));
		for (size_t j = 0; j < i; j++)
			if (c->windows[j]->kind == w->kind)
				return pd_fail(eb, PD_EINVAL, "campaign.windows: %s appears twice", pm_window_name(w->kind));
	}
	return PD_OK;
}

static int check_rules(const Peakdesk__V1__Campaign *c, pd_errbuf *eb)
{
	if (c->n_rules > PM_MAX_RULES)
		return pd_fail(eb, PD_EINVAL, "campaign.rules: at most %d rules", PM_MAX_RULES);
	for (size_t i = 0; i < c->n_rules; i++) {
		const Peakdesk__V1__RuleText *r = c->rules[i];
		char what[48];
		int rc;
		snprintf(what, sizeof(what), "campaign.rules[%zu].rule_id", i);
		if ((rc = check_text(what, r->rule_id, PM_MAX_ID, 1, eb)))
			return rc;
		snprintf(what, sizeof(what), "campaign.rules[%zu].text", i);
		if ((rc = check_text(what, r->text, PM_MAX_RULE_TEXT, 1, eb)))
			return rc;
		snprintf(what, sizeof(what), "campaign.rules[%zu].title", i);
		if ((rc = check_text(what, r->title, 256, 0, eb)))
			return rc;
		if (r->threshold_cents < 0 || r->discount_cents < 0)
			return pd_fail(eb, PD_EINVAL, "campaign.rules[%zu]: amounts are cents >= 0", i);
		if (r->percent_off < 0 || r->percent_off > 100)
			return pd_fail(eb, PD_EINVAL, "campaign.rules[%zu].percent_off must be 0..100, got %d", i,
				       r->percent_off);
		if (r->n_keywords > 64)
			return pd_fail(eb, PD_EINVAL, "campaign.rules[%zu].keywords: at most 64", i);
		for (size_t k = 0; k < r->n_keywords; k++)
			if (!*r->keywords[k] || strlen(r->keywords[k]) > 64)
				return pd_fail(eb, PD_EINVAL, "campaign.rules[%zu].keywords[%zu] must be 1..64 bytes", i, k);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->rules[j]->rule_id, r->rule_id))
				return pd_fail(eb, PD_EINVAL, "campaign.rules: rule_id %.64s appears twice", r->rule_id);
	}
	return PD_OK;
}

static int minutes_ok(int32_t m)
{
	return m >= 0 && m <= MAX_SLA_MIN;
}

static int check_overrides(const Peakdesk__V1__Campaign *c, pd_errbuf *eb)
{
	for (size_t i = 0; i < c->n_sla_overrides; i++) {
		const Peakdesk__V1__SlaOverride *o = c->sla_overrides[i];
		if (o->window < 0 || o->window > PEAKDESK__V1__WINDOW_KIND__WINDOW_KIND_MAIN_DAY)
			return pd_fail(eb, PD_EINVAL, "campaign.sla_overrides[%zu].window out of range", i);
		if (o->priority < 0 || o->priority > PEAKDESK__V1__PRIORITY__PRIORITY_URGENT)
			return pd_fail(eb, PD_EINVAL, "campaign.sla_overrides[%zu].priority out of range", i);
		if (o->channel < 0 || o->channel > PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_EMAIL)
			return pd_fail(eb, PD_EINVAL, "campaign.sla_overrides[%zu].channel out of range", i);
		if (!minutes_ok(o->first_response_minutes) || !minutes_ok(o->next_response_minutes) ||
		    !minutes_ok(o->resolution_minutes))
			return pd_fail(eb, PD_EINVAL, "campaign.sla_overrides[%zu]: minutes must be 0..%d (0 keeps "
				       "the normal target)", i, MAX_SLA_MIN);
		if (!o->first_response_minutes && !o->next_response_minutes && !o->resolution_minutes)
			return pd_fail(eb, PD_EINVAL, "campaign.sla_overrides[%zu] changes no target", i);
		if (o->window) {
			int found = 0;
			for (size_t w = 0; w < c->n_windows && !found; w++)
				found = c->windows[w]->kind == o->window;
			if (!found)
				return pd_fail(eb, PD_EINVAL, "campaign.sla_overrides[%zu] names the %s window, which the "
					       "campaign does not have", i, pm_window_name(o->window));
		}
	}
	return PD_OK;
}

int pm_campaign_check(const Peakdesk__V1__Campaign *c, pd_errbuf *eb)
{
	int rc;
	if ((rc = check_text("campaign.campaign_id", c->campaign_id, PM_MAX_ID, 1, eb)) ||
	    (rc = check_text("campaign.name", c->name, 256, 1, eb)))
		return rc;
	if (c->version < 0)
		return pd_fail(eb, PD_EINVAL, "campaign.version must be >= 0");
	for (size_t i = 0; i < c->n_channels; i++) {
		if (c->channels[i] <= 0 || c->channels[i] > PEAKDESK__V1__CHANNEL_KIND__CHANNEL_KIND_EMAIL)
			return pd_fail(eb, PD_EINVAL, "campaign.channels[%zu] is not a channel", i);
		/* a set: the diff compares channel lists as sets */
		for (size_t j = 0; j < i; j++)
			if (c->channels[j] == c->channels[i])
				return pd_fail(eb, PD_EINVAL, "campaign.channels[%zu] repeats a channel", i);
	}
	if ((rc = check_windows(c, eb)) || (rc = check_rules(c, eb)) || (rc = check_overrides(c, eb)))
		return rc;
	return PD_OK;
}

int pm_campaign_live(const Peakdesk__V1__Campaign *c, int64_t now_ms)
{
	for (size_t i = 0; i < c->n_windows; i++)
		if (now_ms >= c->windows[i]->start_ms && now_ms < c->windows[i]->end_ms)
			return 1;
	return 0;
}

/* ---- diff ------------------------------------------------------------------ */

static void add(pm_changes *out, const char *a, const char *b)
{
	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 8;
		out->fields = pd_xrealloc(out->fields, out->cap * sizeof(*out->fields));
	}
	size_t n = strlen(a) + (b ? strlen(b) : 0) + 1;
	char *f = pd_xmalloc(n);
	snprintf(f, n, "%s%s", a, b ? b : "");
	out->fields[out->n++] = f;
}

/* Packed bytes are a fair equality for sub-messages: both sides come from
 * the same generated code, fields in number order. */
static int same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t la = protobuf_c_message_get_packed_size(a), lb = protobuf_c_message_get_packed_size(b);
	if (la != lb)
		return 0;
	uint8_t *x = pd_xmalloc(la ? la : 1), *y = pd_xmalloc(lb ? lb : 1);
	protobuf_c_message_pack(a, x);
	protobuf_c_message_pack(b, y);
	int same = memcmp(x, y, la) == 0;
	free(x);
	free(y);
	return same;
}

static const Peakdesk__V1__CampaignWindow *window_of(const Peakdesk__V1__Campaign *c, int kind)
{
	for (size_t i = 0; i < c->n_windows; i++)
		if ((int)c->windows[i]->kind == kind)
			return c->windows[i];
	return NULL;
}

static const Peakdesk__V1__RuleText *rule_of(const Peakdesk__V1__Campaign *c, const char *id)
{
	for (size_t i = 0; i < c->n_rules; i++)
		if (!strcmp(c->rules[i]->rule_id, id))
			return c->rules[i];
	return NULL;
}

static int same_overrides(const Peakdesk__V1__Campaign *a, const Peakdesk__V1__Campaign *b)
{
	if (a->n_sla_overrides != b->n_sla_overrides)
		return 0;
	for (size_t i = 0; i < a->n_sla_overrides; i++)
		if (!same_message(&a->sla_overrides[i]->base, &b->sla_overrides[i]->base))
			return 0;
	return 1;
}

void pm_campaign_diff(const Peakdesk__V1__Campaign *old, const Peakdesk__V1__Campaign *next, pm_changes *out)
{
	memset(out, 0, sizeof(*out));
	if (!old) {
		add(out, "created", NULL);
		return;
	}
	if (strcmp(old->name, next->name))
		add(out, "name", NULL);
	for (int k = PEAKDESK__V1__WINDOW_KIND__WINDOW_KIND_PRESALE; k <= PEAKDESK__V1__WINDOW_KIND__WINDOW_KIND_MAIN_DAY; k++) {
		const Peakdesk__V1__CampaignWindow *a = window_of(old, k), *b = window_of(next, k);
		if ((a || b) && (!a || !b || a->start_ms != b->start_ms || a->end_ms != b->end_ms))
			add(out, "windows.", pm_window_name(k));
	}
	int ch_same = old->n_channels == next->n_channels;
	for (size_t i = 0; ch_same && i < old->n_channels; i++) {
		int found = 0;
		for (size_t j = 0; j < next->n_channels && !found; j++)
			found = old->channels[i] == next->channels[j];
		ch_same = found;
	}
	if (!ch_same)
		add(out, "channels", NULL);
	for (size_t i = 0; i < next->n_rules; i++) {
		const Peakdesk__V1__RuleText *a = rule_of(old, next->rules[i]->rule_id);
		if (!a || !same_message(&a->base, &next->rules[i]->base))
			add(out, "rules.", next->rules[i]->rule_id);
	}
	for (size_t i = 0; i < old->n_rules; i++)
		if (!rule_of(next, old->rules[i]->rule_id))
			add(out, "rules.", old->rules[i]->rule_id);
	if (!same_overrides(old, next))
		add(out, "sla_overrides", NULL);
}

void pm_changes_free(pm_changes *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->fields[i]);
	free(c->fields);
	memset(c, 0, sizeof(*c));
}
