/* WeChat inbound XML: a guarded libxml2 parse (no DTD, no entities, capped
 * size, depth and element count) and a field table that maps the flat
 * <xml> children onto wx_message / wx_envelope. The rules are in
 * wechat_xml.h; everything here is pure so it can be fuzzed directly. */
#include "wechat_xml.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"

#define WX_STR_(x) #x
#define WX_STR(x) WX_STR_(x)

/* ---- guarded parse ------------------------------------------------------- */

/* State shared with the SAX hooks through ctxt->_private (libxml2 never
 * touches that field). */
struct guard {
	int depth;
	int elements;
	const char *refused; /* set when a hook stopped the parse, and why */
	int err_code;        /* first libxml2 error, for the reason text */
	int err_line;
	int err_col;
	startElementNsSAX2Func start;
	endElementNsSAX2Func end;
};

static struct guard *guard_of(void *ctx)
{
	return ((xmlParserCtxtPtr)ctx)->_private;
}

static void refuse(void *ctx, const char *why)
{
	struct guard *g = guard_of(ctx);
	if (!g->refused)
		g->refused = why;
	/* Halts the parser: its input is dropped, so nothing after this point
	 * (an internal subset, entity declarations, an external DTD) is read. */
	xmlStopParser((xmlParserCtxtPtr)ctx);
}

#define DOCTYPE_REASON "DOCTYPE is not allowed (DTDs and entities are refused: XML bomb / XXE)"

/* Called by xmlParseDocTypeDecl right after "<!DOCTYPE name [ExternalID]",
 * before the internal subset: the one place to refuse every DTD. */
static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext_id,
			       const xmlChar *sys_id)
{
	refuse(ctx, DOCTYPE_REASON);
}

/* Unreachable once internalSubset refused, kept so that a libxml2 change in
 * call order still cannot declare an entity or load a DTD. */
static void on_external_subset(void *ctx, const xmlChar *name, const xmlChar *ext_id,
			       const xmlChar *sys_id)
{
	refuse(ctx, DOCTYPE_REASON);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
			   const xmlChar *system_id, xmlChar *content)
{
	refuse(ctx, DOCTYPE_REASON);
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
		     const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
		     int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	struct guard *g = guard_of(ctx);
	if (++g->depth > WX_XML_MAX_DEPTH) {
		refuse(ctx, "XML nested deeper than " WX_STR(WX_XML_MAX_DEPTH) " elements");
		return;
	}
	if (++g->elements > WX_XML_MAX_ELEMENTS) {
		refuse(ctx, "XML has more than " WX_STR(WX_XML_MAX_ELEMENTS) " elements");
		return;
	}
	g->start(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
		 nb_defaulted, attributes);
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	struct guard *g = guard_of(ctx);
	g->depth--;
	g->end(ctx, localname, prefix, uri);
}

/* Structured error sink: keeps the first error for the reason text and
 * stops libxml2 from printing to stderr (the service logs on its own). */
static void on_error(void *ctx, xmlErrorPtr err)
{
	struct guard *g = guard_of(ctx);
	if (err && err->level >= XML_ERR_ERROR && g->err_code == 0) {
		g->err_code = err->code ? err->code : -1;
		g->err_line = err->line;
		g->err_col = err->int2;
	}
}

/* Words for the errors a sender is most likely to make; the document's own
 * bytes (element names, text) are never echoed back. */
static const char *xml_error_words(int code)
{
	switch (code) {
	case XML_ERR_UNDECLARED_ENTITY:
	case XML_WAR_UNDECLARED_ENTITY:
		return "reference to an undeclared entity";
	case XML_ERR_TAG_NAME_MISMATCH:
		return "end tag does not match its start tag";
	case XML_ERR_TAG_NOT_FINISHED:
		return "element not closed";
	case XML_ERR_DOCUMENT_EMPTY:
		return "no root element";
	case XML_ERR_DOCUMENT_END:
		return "content after the root element";
	case XML_ERR_INVALID_CHAR:
	case XML_ERR_INVALID_CHARREF:
		return "character not allowed in XML";
	default:
		return "malformed XML";
	}
}

/* Parses xml[0..len) under the rules of wechat_xml.h into *out (caller
 * frees with xmlFreeDoc), checking the root is <xml>. */
static int parse_guarded(const char *xml, size_t len, size_t max, xmlDocPtr *out, pd_errbuf *eb)
{
	*out = NULL;
	if (!xml)
		return pd_fail(eb, PD_EINVAL, "no XML body");
	if (len > max)
		return pd_fail(eb, PD_ETOOBIG, "XML body of %zu bytes is over the %zu-byte limit", len,
			       max);
	if (len == 0)
		return pd_fail(eb, PD_EDECODE, "empty XML body");
	/* Checked on the raw bytes so that libxml2 never sees anything but
	 * UTF-8 (no BOM sniffing into UTF-16, no encoding declaration obeyed). */
	if (memchr(xml, '\0', len))
		return pd_fail(eb, PD_EDECODE, "NUL byte in XML body");
	if (!pd_utf8_valid(xml, len))
		return pd_fail(eb, PD_EDECODE, "XML body is not valid UTF-8");

	xmlInitParser();
	xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(xml, (int)len);
	if (!ctxt)
		return pd_fail(eb, PD_ENOMEM, "cannot create an XML parser");
	/* Deliberately absent: XML_PARSE_NOENT (substitute entities),
	 * DTDLOAD, DTDATTR, DTDVALID, XINCLUDE, HUGE (lifts libxml2's limits). */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
					XML_PARSE_IGNORE_ENC);
	struct guard g = { 0 };
	g.start = ctxt->sax->startElementNs;
	g.end = ctxt->sax->endElementNs;
	ctxt->_private = &g;
	ctxt->sax->internalSubset = on_internal_subset;
	ctxt->sax->externalSubset = on_external_subset;
	ctxt->sax->entityDecl = on_entity_decl;
	ctxt->sax->startElementNs = on_start;
	ctxt->sax->endElementNs = on_end;
	ctxt->sax->serror = on_error;

	xmlParseDocument(ctxt);
	xmlDocPtr doc = ctxt->myDoc;
	int well_formed = ctxt->wellFormed;
	ctxt->myDoc = NULL;
	xmlFreeParserCtxt(ctxt);

	if (g.refused) {
		xmlFreeDoc(doc);
		return pd_fail(eb, PD_EDECODE, "%s", g.refused);
	}
	if (!well_formed || !doc || g.err_code) {
		xmlFreeDoc(doc);
		if (g.err_line > 0)
			return pd_fail(eb, PD_EDECODE, "%s at line %d, column %d (libxml2 error %d)",
				       xml_error_words(g.err_code), g.err_line, g.err_col,
				       g.err_code);
		return pd_fail(eb, PD_EDECODE, "%s (libxml2 error %d)",
			       xml_error_words(g.err_code), g.err_code);
	}
	/* The hooks make a DTD impossible; this is the last line of defence
	 * should a libxml2 update call them differently. */
	if (doc->intSubset || doc->extSubset) {
		xmlFreeDoc(doc);
		return pd_fail(eb, PD_EDECODE, DOCTYPE_REASON);
	}
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (!root || root->ns || strcmp((const char *)root->name, "xml") != 0) {
		xmlFreeDoc(doc);
		return pd_fail(eb, PD_EDECODE, "root element is not <xml>");
	}
	*out = doc;
	return PD_OK;
}

/* ---- field table ------------------------------------------------------------ */

enum fkind {
	F_TEXT,   /* any UTF-8 text, kept as sent (customer words) */
	F_ID,     /* visible ASCII, surrounding blanks trimmed, not empty */
	F_DIGITS, /* decimal digits (MsgId) */
	F_TIME,   /* unix seconds -> int64_t */
	F_INT,    /* small non-negative integer -> int */
	F_LAT,    /* decimal in -90..90 -> double */
	F_LON,    /* decimal in -180..180 -> double */
	F_REAL,   /* non-negative decimal -> double */
	F_B64,    /* base64 text (Encrypt) */
};

struct field {
	const char *name; /* element name, case-sensitive as WeChat sends it */
	enum fkind kind;
	size_t off;       /* offset of the member in the struct */
	size_t max;       /* byte cap of string kinds */
	int required;
};

#define M(member) offsetof(wx_message, member)
static const struct field msg_fields[] = {
	{ "ToUserName", F_ID, M(to_user), WX_ID_MAX, 1 },
	{ "FromUserName", F_ID, M(from_user), WX_ID_MAX, 1 },
	{ "CreateTime", F_TIME, M(create_time), 0, 1 },
	{ "MsgType", F_ID, M(msg_type), WX_SHORT_MAX, 1 },
	{ "MsgId", F_DIGITS, M(msg_id), WX_MSGID_MAX, 0 },
	{ "Content", F_TEXT, M(content), WX_CONTENT_MAX, 0 },
	{ "PicUrl", F_TEXT, M(pic_url), WX_URL_MAX, 0 },
	{ "MediaId", F_ID, M(media_id), WX_MEDIA_ID_MAX, 0 },
	{ "Format", F_ID, M(format), WX_SHORT_MAX, 0 },
	{ "Recognition", F_TEXT, M(recognition), WX_DESC_MAX, 0 },
	{ "ThumbMediaId", F_ID, M(thumb_media_id), WX_MEDIA_ID_MAX, 0 },
	{ "Location_X", F_LAT, M(location_x), 0, 0 },
	{ "Location_Y", F_LON, M(location_y), 0, 0 },
	{ "Scale", F_INT, M(scale), 0, 0 },
	{ "Label", F_TEXT, M(label), WX_LABEL_MAX, 0 },
	{ "Title", F_TEXT, M(title), WX_LABEL_MAX, 0 },
	{ "Description", F_TEXT, M(description), WX_DESC_MAX, 0 },
	{ "Url", F_TEXT, M(url), WX_URL_MAX, 0 },
	{ "Event", F_ID, M(event), WX_SHORT_MAX, 0 },
	{ "EventKey", F_TEXT, M(event_key), WX_URL_MAX, 0 },
	{ "Ticket", F_ID, M(ticket), WX_TICKET_MAX, 0 },
	{ "Latitude", F_LAT, M(latitude), 0, 0 },
	{ "Longitude", F_LON, M(longitude), 0, 0 },
	{ "Precision", F_REAL, M(precision), 0, 0 },
};
#undef M

#define E(member) offsetof(wx_envelope, member)
static const struct field env_fields[] = {
	{ "ToUserName", F_ID, E(to_user), WX_ID_MAX, 0 },
	{ "Encrypt", F_B64, E(encrypt), WX_ENCRYPT_MAX, 1 },
};
#undef E

_Static_assert(PD_ARRAY_LEN(msg_fields) <= 64, "seen is a 64-bit mask");

static int is_string_kind(enum fkind k)
{
	return k == F_TEXT || k == F_ID || k == F_DIGITS || k == F_B64;
}

static char **str_slot(void *obj, const struct field *f)
{
	return (char **)((char *)obj + f->off);
}

static void free_fields(void *obj, const struct field *tab, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_string_kind(tab[i].kind)) {
			free(*str_slot(obj, &tab[i]));
			*str_slot(obj, &tab[i]) = NULL;
		}
}

/* The element's text (text and CDATA children joined) as a new string in
 * *out, *out_len bytes. Refuses child elements: a field is a leaf. */
static int leaf_text(xmlNodePtr el, char **out, size_t *out_len)
{
	size_t n = 0;
	for (xmlNodePtr c = el->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
			n += c->content ? strlen((const char *)c->content) : 0;
		else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE)
			return PD_EINVAL; /* elements, or anything unexpected */
	}
	char *s = pd_xmalloc(n + 1), *p = s;
	for (xmlNodePtr c = el->children; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
			size_t k = strlen((const char *)c->content);
			memcpy(p, c->content, k);
			p += k;
		}
	*p = '\0';
	*out = s;
	*out_len = n;
	return PD_OK;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trims blanks in place (WeChat's own sample has "<MsgType>  <![CDATA[...").
 * Returns the new length. */
static size_t trim(char *s, size_t n)
{
	size_t a = 0;
	while (a < n && is_blank(s[a]))
		a++;
	while (n > a && is_blank(s[n - 1]))
		n--;
	memmove(s, s + a, n - a);
	s[n - a] = '\0';
	return n - a;
}

/* Strict decimal "[-]d+[.d+]" with at most 18 digits, converted without
 * strtod so the process locale cannot change the result. */
static int parse_decimal(const char *s, double *out)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
					1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18 };
	int neg = *s == '-';
	s += neg;
	uint64_t mant = 0;
	int digits = 0, frac = 0, int_digits = 0;
	for (; *s >= '0' && *s <= '9'; s++, digits++, int_digits++)
		mant = mant * 10 + (uint64_t)(*s - '0');
	if (int_digits == 0)
		return -1;
	if (*s == '.') {
		s++;
		for (; *s >= '0' && *s <= '9'; s++, digits++, frac++)
			mant = mant * 10 + (uint64_t)(*s - '0');
		if (frac == 0)
			return -1;
	}
	/* The digit count is checked after the loops, but 19+ digits of
	 * uint64_t arithmetic only wrap (defined), never overflow a type. */
	if (*s != '\0' || digits > 18)
		return -1;
	double v = (double)mant / pow10[frac];
	*out = neg ? -v : v;
	return 0;
}

/* Digits only, 1..maxd of them, value into *out. */
static int parse_uint(const char *s, int maxd, int64_t *out)
{
	int64_t v = 0;
	int n = 0;
	for (; *s; s++, n++) {
		if (*s < '0' || *s > '9' || n >= maxd)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (n == 0)
		return -1;
	*out = v;
	return 0;
}

static int b64_valid(const char *s, size_t n)
{
	if (n == 0 || n % 4 != 0)
		return 0;
	size_t pad = 0;
	while (pad < 2 && s[n - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < n - pad; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return 0;
	}
	return 1;
}

/* Converts one field's text (owned, consumed) into its member. */
static int store_field(void *obj, const struct field *f, char *s, size_t n, pd_errbuf *eb)
{
	if (f->kind != F_TEXT)
		n = trim(s, n);
	/* libxml2 produced this text from UTF-8 input, but the promise that
	 * every string is valid UTF-8 is ours: check it. */
	if (!pd_utf8_valid(s, n)) {
		free(s);
		return pd_fail(eb, PD_EINVAL, "<%s> is not valid UTF-8", f->name);
	}
	if (is_string_kind(f->kind) && n > f->max) {
		free(s);
		return pd_fail(eb, PD_EINVAL, "<%s> is %zu bytes, over its %zu-byte limit", f->name,
			       n, f->max);
	}
	int64_t iv = 0;
	double dv = 0;
	const char *bad = NULL;
	switch (f->kind) {
	case F_TEXT:
		break;
	case F_ID:
		for (size_t i = 0; i < n && !bad; i++)
			if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
				bad = "must be printable ASCII without spaces";
		break;
	case F_DIGITS:
		for (size_t i = 0; i < n && !bad; i++)
			if (s[i] < '0' || s[i] > '9')
				bad = "must be decimal digits";
		break;
	case F_TIME:
		if (parse_uint(s, 12, &iv) != 0)
			bad = "must be unix seconds";
		else
			*(int64_t *)((char *)obj + f->off) = iv;
		break;
	case F_INT:
		if (parse_uint(s, 9, &iv) != 0)
			bad = "must be a non-negative integer";
		else
			*(int *)((char *)obj + f->off) = (int)iv;
		break;
	case F_LAT:
	case F_LON:
	case F_REAL: {
		double lim = f->kind == F_LAT ? 90 : f->kind == F_LON ? 180 : 1e9;
		if (parse_decimal(s, &dv) != 0)
			bad = "must be a decimal number";
		else if (dv > lim || dv < (f->kind == F_REAL ? 0 : -lim))
			bad = "is out of range";
		else
			*(double *)((char *)obj + f->off) = dv;
		break;
	}
	case F_B64:
		if (!b64_valid(s, n))
			bad = "must be base64";
		break;
	}
	if (bad) {
		free(s);
		return pd_fail(eb, PD_EINVAL, "<%s> %s", f->name, bad);
	}
	if (is_string_kind(f->kind))
		*str_slot(obj, f) = s;
	else
		free(s);
	return PD_OK;
}

/* Fills obj from the children of root through the table; *seen gets a bit
 * per field found. On error the caller frees what was stored. */
static int extract(xmlNodePtr root, const struct field *tab, size_t n, void *obj, uint64_t *seen,
		   pd_errbuf *eb)
{
	*seen = 0;
	for (xmlNodePtr c = root->children; c; c = c->next) {
		/* Text between the fields is layout; namespaced elements are
		 * not WeChat's. Both are ignored, like unknown elements. */
		if (c->type != XML_ELEMENT_NODE || c->ns)
			continue;
		size_t i;
		for (i = 0; i < n; i++)
			if (strcmp((const char *)c->name, tab[i].name) == 0)
				break;
		if (i == n)
			continue;
		if (*seen & (UINT64_C(1) << i))
			/* Two Contents: which one would an agent see, which
			 * one the classifier? Refuse to guess. */
			return pd_fail(eb, PD_EINVAL, "<%s> given twice", tab[i].name);
		*seen |= UINT64_C(1) << i;
		char *s;
		size_t len;
		if (leaf_text(c, &s, &len) != PD_OK)
			return pd_fail(eb, PD_EINVAL, "<%s> holds child elements", tab[i].name);
		int rc = store_field(obj, &tab[i], s, len, eb);
		if (rc != PD_OK)
			return rc;
	}
	for (size_t i = 0; i < n; i++) {
		char **slot = is_string_kind(tab[i].kind) ? str_slot(obj, &tab[i]) : NULL;
		int empty = slot ? (*slot == NULL || **slot == '\0') : !(*seen & (UINT64_C(1) << i));
		if (tab[i].required && empty)
			return pd_fail(eb, PD_EINVAL, "<%s> is missing", tab[i].name);
		if (slot && !*slot)
			*slot = pd_xstrdup("");
	}
	return PD_OK;
}

/* ---- messages ------------------------------------------------------------- */

static const struct {
	const char *name;
	enum wx_msg_type type;
} msg_types[] = {
	{ "text", WX_MSG_TEXT },	   { "image", WX_MSG_IMAGE },
	{ "voice", WX_MSG_VOICE },	   { "video", WX_MSG_VIDEO },
	{ "shortvideo", WX_MSG_SHORTVIDEO }, { "location", WX_MSG_LOCATION },
	{ "link", WX_MSG_LINK },	   { "event", WX_MSG_EVENT },
};

static const struct {
	const char *name;
	enum wx_event event;
} events[] = {
	{ "subscribe", WX_EVENT_SUBSCRIBE }, { "unsubscribe", WX_EVENT_UNSUBSCRIBE },
	{ "SCAN", WX_EVENT_SCAN },	     { "CLICK", WX_EVENT_CLICK },
	{ "VIEW", WX_EVENT_VIEW },	     { "LOCATION", WX_EVENT_LOCATION },
};

const char *wx_msg_type_name(enum wx_msg_type t)
{
	for (size_t i = 0; i < PD_ARRAY_LEN(msg_types); i++)
		if (msg_types[i].type == t)
			return msg_types[i].name;
	return "unknown";
}

const char *wx_event_name(enum wx_event e)
{
	if (e == WX_EVENT_NONE)
		return "none";
	for (size_t i = 0; i < PD_ARRAY_LEN(events); i++)
		if (events[i].event == e)
			return events[i].name;
	return "other";
}

/* Whether the msg_fields entry called name was in the document. */
static int was_seen(uint64_t seen, const char *name)
{
	for (size_t i = 0; i < PD_ARRAY_LEN(msg_fields); i++)
		if (strcmp(msg_fields[i].name, name) == 0)
			return (int)(seen >> i & 1);
	return 0;
}

int wx_parse_message(const char *xml, size_t len, wx_message *out, pd_errbuf *eb)
{
	if (!out)
		return pd_fail(eb, PD_EINVAL, "no output message");
	*out = (wx_message){ 0 };
	xmlDocPtr doc;
	int rc = parse_guarded(xml, len, WX_XML_MAX_BYTES, &doc, eb);
	if (rc != PD_OK)
		return rc;
	uint64_t seen;
	rc = extract(xmlDocGetRootElement(doc), msg_fields, PD_ARRAY_LEN(msg_fields), out, &seen,
		     eb);
	xmlFreeDoc(doc);
	if (rc != PD_OK) {
		wx_message_free(out);
		return rc;
	}

	for (size_t i = 0; i < PD_ARRAY_LEN(msg_types); i++)
		if (strcmp(out->msg_type, msg_types[i].name) == 0)
			out->type = msg_types[i].type;
	if (out->type == WX_MSG_EVENT) {
		out->event_type = WX_EVENT_OTHER;
		/* WeChat documents these in one spelling each; matching any
		 * case costs nothing and keeps a "scan" from becoming OTHER. */
		for (size_t i = 0; i < PD_ARRAY_LEN(events); i++)
			if (strcasecmp(out->event, events[i].name) == 0)
				out->event_type = events[i].event;
	}
	out->has_location = was_seen(seen, "Location_X") && was_seen(seen, "Location_Y");
	out->has_position = was_seen(seen, "Latitude") && was_seen(seen, "Longitude");
	return PD_OK;
}

void wx_message_free(wx_message *m)
{
	if (!m)
		return;
	free_fields(m, msg_fields, PD_ARRAY_LEN(msg_fields));
	*m = (wx_message){ 0 };
}

int wx_parse_envelope(const char *xml, size_t len, wx_envelope *out, pd_errbuf *eb)
{
	if (!out)
		return pd_fail(eb, PD_EINVAL, "no output envelope");
	*out = (wx_envelope){ 0 };
	xmlDocPtr doc;
	int rc = parse_guarded(xml, len, WX_ENVELOPE_MAX_BYTES, &doc, eb);
	if (rc != PD_OK)
		return rc;
	uint64_t seen;
	rc = extract(xmlDocGetRootElement(doc), env_fields, PD_ARRAY_LEN(env_fields), out, &seen,
		     eb);
	xmlFreeDoc(doc);
	if (rc != PD_OK)
		wx_envelope_free(out);
	return rc;
}

void wx_envelope_free(wx_envelope *e)
{
	if (!e)
		return;
	free_fields(e, env_fields, PD_ARRAY_LEN(env_fields));
	*e = (wx_envelope){ 0 };
}

/* ---- dedupe key and text --------------------------------------------------- */

int wx_dedupe_key(const wx_message *m, char *out, size_t outlen)
{
	if (!m || !out || outlen == 0 || !m->from_user || !m->from_user[0])
		return PD_EINVAL;
	int n;
	if (m->type != WX_MSG_EVENT && m->msg_id && m->msg_id[0])
		n = snprintf(out, outlen, "msgid:%s", m->msg_id);
	else
		n = snprintf(out, outlen, "event:%s:%lld", m->from_user, (long long)m->create_time);
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0'; /* a cut key would collide with other messages */
		return PD_ETOOBIG;
	}
	return PD_OK;
}

/* Bounded writer that only ever cuts at a UTF-8 character boundary. */
struct out {
	char *buf;
	size_t cap, len;
	int cut;
};

static void put(struct out *o, const char *s)
{
	if (o->cut || !s)
		return;
	size_t n = strlen(s), room = o->cap - 1 - o->len;
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		o->cut = 1;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void put_coords(struct out *o, double a, double b)
{
	char tmp[96];
	snprintf(tmp, sizeof(tmp), "(%.6f,%.6f)", a, b);
	put(o, tmp);
}

int wx_message_text(const wx_message *m, char *out, size_t outlen)
{
	if (!out || outlen == 0)
		return PD_EINVAL;
	out[0] = '\0';
	if (!m || !m->msg_type)
		return PD_EINVAL;
	struct out o = { out, outlen, 0, 0 };
	switch (m->type) {
	case WX_MSG_TEXT:
		put(&o, m->content);
		break;
	case WX_MSG_IMAGE:
		put(&o, "[image] ");
		put(&o, m->pic_url);
		break;
	case WX_MSG_VOICE:
		put(&o, m->recognition && m->recognition[0] ? m->recognition : "[voice]");
		break;
	case WX_MSG_VIDEO:
		put(&o, "[video]");
		break;
	case WX_MSG_SHORTVIDEO:
		put(&o, "[shortvideo]");
		break;
	case WX_MSG_LOCATION:
		put(&o, "[location] ");
		put(&o, m->label);
		if (m->has_location) {
			put(&o, m->label && m->label[0] ? " " : "");
			put_coords(&o, m->location_x, m->location_y);
		}
		break;
	case WX_MSG_LINK:
		put(&o, "[link] ");
		put(&o, m->title);
		put(&o, " ");
		put(&o, m->url);
		break;
	case WX_MSG_EVENT:
		put(&o, "[event ");
		put(&o, m->event);
		put(&o, "]");
		if (m->event_type == WX_EVENT_LOCATION && m->has_position) {
			put(&o, " ");
			put_coords(&o, m->latitude, m->longitude);
		} else if (m->event_key && m->event_key[0]) {
			put(&o, " ");
			put(&o, m->event_key);
		}
		break;
	case WX_MSG_UNKNOWN:
		put(&o, "[unsupported ");
		put(&o, m->msg_type);
		put(&o, "]");
		break;
	}
	return o.cut ? PD_ETOOBIG : PD_OK;
}
