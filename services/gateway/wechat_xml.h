/* WeChat Official Account inbound XML: messages, events and the safe-mode
 * envelope (pure logic, no I/O; libxml2 underneath).
 *
 * WeChat POSTs one flat document per message:
 *   <xml><ToUserName>account</ToUserName><FromUserName>OpenID</FromUserName>
 *   <CreateTime>unix s</CreateTime><MsgType>text|image|voice|video|
 *   shortvideo|location|link|event|...</MsgType> type fields <MsgId>..</MsgId></xml>
 * with most values in CDATA sections, and retries a POST it got no answer
 * to within 5 s up to three times (within ~15 s): wx_dedupe_key names the
 * message so the handler can drop the retries.
 *
 * Hostile input is refused before any field is read:
 *   - more than the caller's byte limit (WX_XML_MAX_BYTES for messages);
 *   - bytes that are not UTF-8 or contain NUL (WeChat sends UTF-8 only;
 *     this also rules out UTF-16/EBCDIC detection inside libxml2);
 *   - any DOCTYPE: libxml2 2.9.14 has no XML_PARSE_NO_XXE, so the parse is
 *     stopped from the SAX internalSubset callback as soon as "<!DOCTYPE name"
 *     is read, before an internal subset (entity declarations: billion
 *     laughs) or an external one (XXE, SYSTEM "file:///etc/passwd") is
 *     looked at. Entities are never substituted (no XML_PARSE_NOENT), DTDs
 *     never loaded, the network never used (XML_PARSE_NONET). A text that
 *     merely contains "<!DOCTYPE" inside CDATA is fine: this is a parser
 *     decision, not a grep;
 *   - elements nested deeper than WX_XML_MAX_DEPTH or more than
 *     WX_XML_MAX_ELEMENTS of them (messages are two levels deep, a few
 *     events five);
 *   - malformed XML (undeclared entity references included).
 * libxml2 is initialised on first use; a multi-threaded program should call
 * xmlInitParser() once from main before threads start (libxml2's rule).
 *
 * Errors (pd_errbuf gets a reason fit for the JSON error body; it never
 * echoes the document's bytes):
 *   PD_ETOOBIG  input over the byte limit
 *   PD_EDECODE  not UTF-8, NUL, DOCTYPE/entities, too deep, too many
 *               elements, malformed XML, root element not <xml>
 *   PD_EINVAL   well-formed but invalid: a required field missing
 *               (ToUserName, FromUserName, CreateTime, MsgType; Encrypt in
 *               an envelope), a field given twice, a field holding child
 *               elements, a field over its length cap, an id with spaces or
 *               control characters, a malformed number or coordinate. */
#ifndef WX_XML_H
#define WX_XML_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"

#define WX_XML_MAX_BYTES (64 * 1024)       /* largest message document */
#define WX_ENVELOPE_MAX_BYTES (192 * 1024) /* envelope: base64 of a full message, twice in compat mode */
#define WX_XML_MAX_DEPTH 8                 /* element nesting; WeChat's deepest is 5:
                                              <xml><SendPicsInfo><PicList><item><PicMd5Sum> */
#define WX_XML_MAX_ELEMENTS 512            /* elements in one document */

/* Length caps in bytes of the text fields (longer -> PD_EINVAL, never cut). */
#define WX_ID_MAX 128          /* ToUserName, FromUserName (OpenID is 28) */
#define WX_MSGID_MAX 20        /* MsgId: a 64-bit decimal */
#define WX_CONTENT_MAX 16384   /* Content, far above what a chat message holds */
#define WX_URL_MAX 2048        /* PicUrl, Url, EventKey (a VIEW event's URL) */
#define WX_MEDIA_ID_MAX 256    /* MediaId, ThumbMediaId */
#define WX_SHORT_MAX 64        /* MsgType, Event, Format */
#define WX_LABEL_MAX 1024      /* Label, Title */
#define WX_DESC_MAX 4096       /* Description, Recognition */
#define WX_TICKET_MAX 512      /* Ticket (QR-code ticket) */
#define WX_ENCRYPT_MAX WX_ENVELOPE_MAX_BYTES

/* Largest wx_dedupe_key: "event:" + FromUserName + ":" + CreateTime + NUL. */
#define WX_DEDUPE_KEY_MAX (6 + WX_ID_MAX + 1 + 20 + 1)

enum wx_msg_type {
	WX_MSG_UNKNOWN = 0, /* a MsgType this code does not know; msg_type has it */
	WX_MSG_TEXT,
	WX_MSG_IMAGE,
	WX_MSG_VOICE,
	WX_MSG_VIDEO,
	WX_MSG_SHORTVIDEO,
	WX_MSG_LOCATION,
	WX_MSG_LINK,
	WX_MSG_EVENT,
};

enum wx_event {
	WX_EVENT_NONE = 0,  /* not an event (MsgType is not "event") */
	WX_EVENT_SUBSCRIBE, /* follow; EventKey "qrscene_..." when by QR code */
	WX_EVENT_UNSUBSCRIBE,
	WX_EVENT_SCAN,      /* a follower scanned a parameter QR code */
	WX_EVENT_CLICK,     /* menu click; EventKey = the menu key */
	WX_EVENT_VIEW,      /* menu link; EventKey = the URL */
	WX_EVENT_LOCATION,  /* periodic location report (Latitude, ...) */
	WX_EVENT_OTHER,     /* any other Event; event has its name */
};

/* One inbound message or event. Every char * is NUL-terminated, valid
 * UTF-8, never NULL ("" when the element was absent) and heap-owned by the
 * message: release with wx_message_free. Unknown elements are ignored. */
typedef struct wx_message {
	char *to_user;           /* ToUserName: the official account (gh_...) */
	char *from_user;         /* FromUserName: the customer's OpenID */
	int64_t create_time;     /* CreateTime, unix seconds */
	enum wx_msg_type type;
	char *msg_type;          /* MsgType as sent, e.g. "text", "device_event" */
	char *msg_id;            /* MsgId digits; "" for events */
	char *content;           /* text: Content */
	char *pic_url;           /* image: PicUrl */
	char *media_id;          /* image/voice/video/shortvideo: MediaId */
	char *format;            /* voice: Format (amr, speex) */
	char *recognition;       /* voice: Recognition (speech to text), may be "" */
	char *thumb_media_id;    /* video/shortvideo: ThumbMediaId */
	int has_location;        /* location: Location_X and Location_Y given */
	double location_x;       /* Location_X: latitude, -90..90 */
	double location_y;       /* Location_Y: longitude, -180..180 */
	int scale;               /* Scale: map zoom, 0 when absent */
	char *label;             /* Label: the place's name */
	char *title;             /* link: Title */
	char *description;       /* link: Description */
	char *url;               /* link: Url */
	enum wx_event event_type;
	char *event;             /* Event as sent, e.g. "subscribe", "SCAN" */
	char *event_key;         /* EventKey */
	char *ticket;            /* Ticket (QR-code events) */
	int has_position;        /* LOCATION event: Latitude and Longitude given */
	double latitude;         /* -90..90 */
	double longitude;        /* -180..180 */
	double precision;        /* Precision (metres), 0 when absent */
} wx_message;

/* The safe-mode envelope <xml><ToUserName/><Encrypt/></xml> (and the
 * compatibility-mode document, which carries the plaintext fields beside
 * Encrypt; only Encrypt counts then). Strings as in wx_message. */
typedef struct wx_envelope {
	char *to_user; /* ToUserName, "" when absent */
	char *encrypt; /* Encrypt: base64 text (checked alphabet), never "" */
} wx_envelope;

/* Parses a message document of len bytes (need not be NUL-terminated).
 * On PD_OK *out owns heap memory: release it with wx_message_free. On
 * error *out is zeroed (freeing it is harmless) and eb says why. */
int wx_parse_message(const char *xml, size_t len, wx_message *out, pd_errbuf *eb);

/* Frees what a successful parse allocated and zeroes *m. NULL is allowed. */
void wx_message_free(wx_message *m);

/* Parses a safe-mode envelope (up to WX_ENVELOPE_MAX_BYTES), with the same
 * hostile-input rules. Ownership as for wx_parse_message. */
int wx_parse_envelope(const char *xml, size_t len, wx_envelope *out, pd_errbuf *eb);
void wx_envelope_free(wx_envelope *e);

/* Writes the key under which retries of the same message collide:
 * "msgid:<MsgId>" when WeChat gave a MsgId and the message is not an event,
 * otherwise "event:<FromUserName>:<CreateTime>" (WeChat's own advice for
 * events, which carry no MsgId). out must hold WX_DEDUPE_KEY_MAX bytes to
 * never fail. PD_OK, PD_EINVAL (NULL or no from_user) or PD_ETOOBIG. */
int wx_dedupe_key(const wx_message *m, char *out, size_t outlen);

/* Renders what the customer said as one line of text for the router's
 * classifier and the agent's view:
 *   text      the Content
 *   image     "[image] <PicUrl>"
 *   voice     the Recognition when WeChat transcribed it, else "[voice]"
 *   video     "[video]"; shortvideo "[shortvideo]"
 *   location  "[location] <Label> (<x>,<y>)"
 *   link      "[link] <Title> <Url>"
 *   event     "[event <Event>]" then " <EventKey>" when there is one, or
 *             " (<lat>,<lon>)" for LOCATION
 *   unknown   "[unsupported <MsgType>]"
 * Always NUL-terminates when outlen > 0 and always leaves valid UTF-8: a
 * text that does not fit is cut at a character boundary and PD_ETOOBIG is
 * returned. PD_OK, PD_ETOOBIG, or PD_EINVAL (NULL, outlen 0). */
int wx_message_text(const wx_message *m, char *out, size_t outlen);

/* Name of a message type / event for logs and metrics labels ("text",
 * "unknown", ...). Static strings. */
const char *wx_msg_type_name(enum wx_msg_type t);
const char *wx_event_name(enum wx_event e);

#endif
