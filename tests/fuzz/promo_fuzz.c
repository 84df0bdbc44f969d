/* libFuzzer harness for the promo service's pure logic: campaigns
 * (services/promo/campaign.c) and the staffing forecast
 * (services/promo/forecast.c, erlang_c.c).
 *
 * The input is split into three parts:
 *   [u16 LE len_a][A: len_a bytes][u16 LE len_b][B: len_b bytes][F: the rest]
 * (each length is cut to what remains, so every input is usable).
 *
 * A and B are decoded as peakdesk.v1.Campaign with the project's safe
 * decoder (pd_pb_unpack). When A decodes it goes through pm_campaign_check,
 * pm_campaign_live and pm_campaign_diff:
 *   - against itself: no change. Asserted for campaigns pm_campaign_check
 *     accepts (the service only diffs checked campaigns; a campaign that
 *     repeats a rule_id, which the check refuses, does diff against itself);
 *   - against NULL: exactly "created";
 *   - against B (both ways) when B decodes: every field named is one of the
 *     documented ones.
 * A valid campaign is live at the start of each of its windows.
 *
 * F drives the forecast: parameters, groups and up to 200 hours are read
 * from it (see forecast_input below; a mode byte picks in-range values or
 * raw doubles / int64s, ordered or scrambled hours). pm_forecast_check runs,
 * then pm_forecast_compute (also when the check failed: it must fail the
 * same way with no rows). When the check passes the rows must be complete,
 * sorted by hour with the pooled row first, agents_needed >= 0, and, for
 * rows with consultations, service_level within [0, 1] and at least the
 * goal; rows without consultations have 0 agents and service level 1.
 *
 * Build with -DPROMO_FUZZ_STRICT to also require that diff(A, B) and
 * diff(B, A) name the same fields when both campaigns are valid.
 *
 * A failed invariant prints what failed and executes __builtin_trap(), so
 * libFuzzer keeps the input. Seeds: tests/fuzz/corpus/promo/. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/promo/campaign.h"
#include "../../services/promo/forecast.h"
#include "codec.h"
#include "promo.pb-c.h"

#define HOUR_MS 3600000LL
#define MAX_FUZZ_HOURS 200
#define MAX_LIVE_PROBES 64

#define CHECK(cond, ...)                                          \
	do {                                                      \
		if (!(cond)) {                                    \
			fprintf(stderr, "promo_fuzz: " __VA_ARGS__); \
			fputc('\n', stderr);                      \
			__builtin_trap();                         \
		}                                                 \
	} while (0)

/* ---- a byte reader: zeros once the input is exhausted -------------------- */

typedef struct reader {
	const uint8_t *p;
	size_t n;
} reader;

static void take(reader *r, void *out, size_t k)
{
	size_t have = r->n < k ? r->n : k;
	memset(out, 0, k);
	memcpy(out, r->p, have);
	r->p += have;
	r->n -= have;
}

static uint8_t u8(reader *r)
{
	uint8_t v;
	take(r, &v, 1);
	return v;
}

static uint16_t u16(reader *r)
{
	uint8_t b[2];
	take(r, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static uint32_t u32(reader *r)
{
	uint32_t v = u16(r);
	return v | (uint32_t)u16(r) << 16;
}

static int64_t raw_i64(reader *r)
{
	int64_t v;
	take(r, &v, sizeof(v));
	return v;
}

static double raw_double(reader *r)
{
	double v;
	take(r, &v, sizeof(v));
	return v;
}

/* A slice of the input: [u16 LE length][bytes], length cut to what is left. */
static reader slice(reader *r)
{
	size_t len = u16(r);
	if (len > r->n)
		len = r->n;
	reader s = { r->p, len };
	r->p += len;
	r->n -= len;
	return s;
}

/* ---- campaigns -------------------------------------------------------------- */

static const char *const known_fields[] = { "name", "channels", "sla_overrides" };
static const char *const known_prefixes[] = { "windows.", "rules." };

static void check_changes(const pm_changes *ch, const char *what)
{
	CHECK(ch->n <= ch->cap && (ch->n == 0 || ch->fields), "%s: bad change list", what);
	for (size_t i = 0; i < ch->n; i++) {
		const char *f = ch->fields[i];
		int ok = 0;
		CHECK(f, "%s: change %zu is NULL", what, i);
		for (size_t k = 0; k < PD_ARRAY_LEN(known_fields) && !ok; k++)
			ok = strcmp(f, known_fields[k]) == 0;
		for (size_t k = 0; k < PD_ARRAY_LEN(known_prefixes) && !ok; k++)
			ok = strncmp(f, known_prefixes[k], strlen(known_prefixes[k])) == 0;
		CHECK(ok, "%s: unexpected changed field \"%s\"", what, f);
	}
}

#ifdef PROMO_FUZZ_STRICT
static int has_field(const pm_changes *ch, const char *f)
{
	for (size_t i = 0; i < ch->n; i++)
		if (!strcmp(ch->fields[i], f))
			return 1;
	return 0;
}
#endif

static void campaign_part(reader a_bytes, reader b_bytes)
{
	pd_errbuf eb;
	ProtobufCMessage *ma = pd_pb_unpack(&peakdesk__v1__campaign__descriptor, a_bytes.p, a_bytes.n, &eb);
	if (!ma)
		return;
	const Peakdesk__V1__Campaign *a = (const Peakdesk__V1__Campaign *)ma;
	int a_ok = pm_campaign_check(a, &eb) == PD_OK;

	/* Liveness: at each window's start (a valid window is [start, end) with
	 * end > start), just before it, and at the extremes. */
	(void)pm_campaign_live(a, INT64_MIN);
	(void)pm_campaign_live(a, INT64_MAX);
	for (size_t i = 0; i < a->n_windows && i < MAX_LIVE_PROBES; i++) {
		const Peakdesk__V1__CampaignWindow *w = a->windows[i];
		int live = pm_campaign_live(a, w->start_ms);
		if (a_ok)
			CHECK(live == 1, "valid campaign not live at windows[%zu].start_ms %lld", i,
			      (long long)w->start_ms);
		(void)pm_campaign_live(a, w->end_ms);
		if (w->start_ms > INT64_MIN)
			(void)pm_campaign_live(a, w->start_ms - 1);
	}

	pm_changes ch;
	pm_campaign_diff(a, a, &ch);
	check_changes(&ch, "diff(a, a)");
	if (a_ok)
		CHECK(ch.n == 0, "a valid campaign differs from itself in %zu fields, first \"%s\"", ch.n,
		      ch.fields[0]);
	pm_changes_free(&ch);

	pm_campaign_diff(NULL, a, &ch);
	CHECK(ch.n == 1 && ch.fields && ch.fields[0] && !strcmp(ch.fields[0], "created"),
	      "diff(NULL, a) is not exactly \"created\" (%zu fields)", ch.n);
	pm_changes_free(&ch);

	ProtobufCMessage *mb = pd_pb_unpack(&peakdesk__v1__campaign__descriptor, b_bytes.p, b_bytes.n, &eb);
	if (mb) {
		const Peakdesk__V1__Campaign *b = (const Peakdesk__V1__Campaign *)mb;
		int b_ok = pm_campaign_check(b, &eb) == PD_OK;
		pm_changes ab, ba;
		pm_campaign_diff(a, b, &ab);
		pm_campaign_diff(b, a, &ba);
		check_changes(&ab, "diff(a, b)");
		check_changes(&ba, "diff(b, a)");
#ifdef PROMO_FUZZ_STRICT
		if (a_ok && b_ok) {
			for (size_t i = 0; i < ab.n; i++)
				CHECK(has_field(&ba, ab.fields[i]), "\"%s\" in diff(a, b) but not in diff(b, a)",
				      ab.fields[i]);
			for (size_t i = 0; i < ba.n; i++)
				CHECK(has_field(&ab, ba.fields[i]), "\"%s\" in diff(b, a) but not in diff(a, b)",
				      ba.fields[i]);
		}
#else
		(void)b_ok;
#endif
		pm_changes_free(&ab);
		pm_changes_free(&ba);
		pd_pb_free(mb);
	}
	pd_pb_free(ma);
}

/* ---- forecast --------------------------------------------------------------- */

/* F's layout, read in this order (zeros once F is exhausted):
 *   mode u8: bit 0 raw double params, bit 1 raw int64 hour fields,
 *            bit 2 raw double shares, bit 3 scrambled hour order
 *   consultation_rate, avg_handle_seconds, target_answer_seconds,
 *   service_level_goal: u16 each mapped into range, or 8 raw bytes each
 *   chat_concurrency u8 (1..20, or 0..21 in raw mode)
 *   n_groups u8 % 10 (9 is one too many), then per group:
 *     name selector u8 (% 4: unique, from a small table, "", from bytes:
 *     u8 length % 72 then that many bytes), share u8 weight or raw double
 *   n_hours u8 % 201, base u32 (hours since the epoch), then per hour:
 *     start: a step of 1..3 hours, or signed u8 offset when scrambled, or
 *     raw int64; gmv u32 cents or raw; aov 1000 + u16 cents or raw. */
typedef struct forecast_input {
	pm_forecast_params p;
	char names[PM_FORECAST_MAX_GROUPS + 1][80];
	pm_target_hour hours[MAX_FUZZ_HOURS];
	size_t n;
} forecast_input;

static double in_range(reader *r, int raw, double lo, double hi)
{
	if (raw)
		return raw_double(r);
	return lo + (hi - lo) * (u16(r) / 65535.0);
}

static void read_forecast(reader *r, forecast_input *in)
{
	static const char *const table[] = { "presale", "order", "after-sale", "logistics", "refund", "vip" };
	uint8_t mode = u8(r);
	int raw_params = mode & 1, raw_hours = mode & 2, raw_shares = mode & 4, scrambled = mode & 8;
	pm_forecast_params *p = &in->p;

	memset(in, 0, sizeof(*in));
	p->consultation_rate = in_range(r, raw_params, 0.0005, 50);
	p->avg_handle_seconds = in_range(r, raw_params, 1, 7200);
	p->target_answer_seconds = in_range(r, raw_params, 1, 3600);
	p->service_level_goal = raw_params ? raw_double(r) : (u16(r) % 9999 + 1) / 10000.0;
	p->chat_concurrency = raw_params ? u8(r) % 22 : 1 + u8(r) % 20;

	/* Groups: n may be one above the limit, so the loop fills
	 * PM_FORECAST_MAX_GROUPS at most (the check refuses n first). */
	size_t n_groups = u8(r) % (PM_FORECAST_MAX_GROUPS + 2);
	double weights[PM_FORECAST_MAX_GROUPS] = { 0 }, sum = 0;
	p->n_groups = n_groups;
	for (size_t g = 0; g < n_groups && g < PM_FORECAST_MAX_GROUPS; g++) {
		char *name = in->names[g];
		uint8_t sel = u8(r);
		switch (sel % 4) {
		case 0: snprintf(name, sizeof(in->names[g]), "group-%zu", g); break;
		case 1: snprintf(name, sizeof(in->names[g]), "%s", table[(sel / 4) % PD_ARRAY_LEN(table)]); break;
		case 2: name[0] = '\0'; break;
		default: take(r, name, u8(r) % 72); break; /* NUL-terminated: the array is larger */
		}
		p->groups[g].name = name;
		if (raw_shares) {
			p->groups[g].share = raw_double(r);
		} else {
			weights[g] = u8(r);
			sum += weights[g];
		}
	}
	if (!raw_shares)
		for (size_t g = 0; g < n_groups && g < PM_FORECAST_MAX_GROUPS; g++)
			p->groups[g].share = sum > 0 ? weights[g] / sum : 1.0 / (double)n_groups;

	in->n = u8(r) % (MAX_FUZZ_HOURS + 1);
	int64_t base = (int64_t)u32(r) * HOUR_MS, at = base;
	for (size_t i = 0; i < in->n; i++) {
		pm_target_hour *h = &in->hours[i];
		if (raw_hours) {
			h->hour_start_ms = raw_i64(r);
			h->gmv_cents = raw_i64(r);
			h->avg_order_value_cents = raw_i64(r);
			continue;
		}
		if (scrambled) {
			h->hour_start_ms = base + (int8_t)u8(r) * HOUR_MS;
		} else {
			at += (1 + u8(r) % 3) * HOUR_MS;
			h->hour_start_ms = at;
		}
		h->gmv_cents = u32(r);
		h->avg_order_value_cents = 1000 + u16(r);
	}
}

static void check_rows(const forecast_input *in, const pm_forecast_row *rows, size_t n_rows)
{
	const pm_forecast_params *p = &in->p;
	size_t per_hour = 1 + p->n_groups;
	CHECK(n_rows == in->n * per_hour, "%zu rows for %zu hours x %zu queues", n_rows, in->n, per_hour);
	CHECK(pm_forecast_rows(p, in->n) == n_rows, "pm_forecast_rows disagrees: %zu, %zu rows written",
	      pm_forecast_rows(p, in->n), n_rows);
	for (size_t k = 0; k < n_rows; k++) {
		const pm_forecast_row *r = &rows[k];
		size_t q = k % per_hour;
		if (k > 0) {
			const pm_forecast_row *prev = &rows[k - 1];
			if (q == 0)
				CHECK(prev->hour_start_ms < r->hour_start_ms, "rows[%zu] hour %lld not after rows[%zu] %lld",
				      k, (long long)r->hour_start_ms, k - 1, (long long)prev->hour_start_ms);
			else
				CHECK(prev->hour_start_ms == r->hour_start_ms &&
					      prev->expected_orders == r->expected_orders,
				      "rows[%zu]: not the same hour as the pooled row", k);
		}
		if (q == 0)
			CHECK(r->group && r->group[0] == '\0', "rows[%zu]: the hour's first row is not the pooled one", k);
		else
			CHECK(r->group == p->groups[q - 1].name, "rows[%zu]: group is not groups[%zu]", k, q - 1);
		CHECK(r->agents_needed >= 0, "rows[%zu]: agents_needed %d", k, r->agents_needed);
		CHECK(r->expected_consultations >= 0 && isfinite(r->expected_consultations),
		      "rows[%zu]: expected_consultations %g", k, r->expected_consultations);
		if (r->expected_consultations > 0) {
			CHECK(r->service_level >= 0 && r->service_level <= 1,
			      "rows[%zu]: service_level %g outside [0, 1] (consultations %g, agents %d)", k,
			      r->service_level, r->expected_consultations, r->agents_needed);
			CHECK(r->service_level >= p->service_level_goal,
			      "rows[%zu]: service_level %.17g below the goal %.17g (consultations %g, agents %d)", k,
			      r->service_level, p->service_level_goal, r->expected_consultations, r->agents_needed);
		} else {
			CHECK(r->agents_needed == 0 && r->service_level == 1,
			      "rows[%zu]: no consultations but %d agents, service level %g", k, r->agents_needed,
			      r->service_level);
		}
	}
}

static void forecast_part(reader f)
{
	static forecast_input in;
	static pm_forecast_row rows[MAX_FUZZ_HOURS * (1 + PM_FORECAST_MAX_GROUPS)];
	pd_errbuf eb;
	size_t n_rows = 12345;

	read_forecast(&f, &in);
	int rc = pm_forecast_check(&in.p, in.hours, in.n, &eb);
	int rc2 = pm_forecast_compute(&in.p, in.hours, in.n, rows, PD_ARRAY_LEN(rows), &n_rows, &eb);
	if (rc != PD_OK) {
		CHECK(rc2 == rc && n_rows == 0, "check failed with %d but compute returned %d with %zu rows", rc,
		      rc2, n_rows);
		return;
	}
	CHECK(rc2 == PD_OK, "compute failed (%d: %s) on input the check accepted", rc2, eb.msg);
	check_rows(&in, rows, n_rows);

	/* Too small an array: PD_ETOOBIG with the rows needed. */
	if (n_rows > 0) {
		size_t need = 0;
		rc2 = pm_forecast_compute(&in.p, in.hours, in.n, rows, n_rows - 1, &need, NULL);
		CHECK(rc2 == PD_ETOOBIG && need == n_rows, "out_cap %zu: rc %d, %zu rows needed (want %zu)",
		      n_rows - 1, rc2, need, n_rows);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reader r = { data, size };
	reader a = slice(&r);
	reader b = slice(&r);
	campaign_part(a, b);
	forecast_part(r);
	return 0;
}
