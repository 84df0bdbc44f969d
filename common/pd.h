/* libpeakdesk: the one error type and small helpers every module shares.
 * Functions that can fail return an int from enum pd_err (0 = PD_OK);
 * pd_strerror() turns it into words. Nothing in the library calls exit(). */
#ifndef PD_H
#define PD_H

#include <stddef.h>
#include <stdint.h>

enum pd_err {
	PD_OK = 0,
	PD_EINVAL,    /* invalid argument or input */
	PD_ENOMEM,    /* allocation failed or byte budget exceeded */
	PD_ETOOBIG,   /* input larger than its limit */
	PD_EDECODE,   /* undecodable bytes (protobuf, JSON, form) */
	PD_EDB,       /* database error (see the log for the server's message) */
	PD_EDBDOWN,   /* database unreachable; retry later */
	PD_ENNG,      /* NNG socket error */
	PD_ENOTFOUND, /* no such thing */
	PD_ECONFLICT, /* conflicts with current state */
	PD_ESTATE,    /* impossible state transition */
	PD_ESIG,      /* bad signature */
	PD_EIO,       /* system call failed */
	PD_ELOCKED,   /* publisher name held by another instance */
};

const char *pd_strerror(int err);

/* Fixed-size error text carried back to a client (REJECTED reason, JSON detail). */
#define PD_ERRMSG_MAX 256
typedef struct pd_errbuf {
	char msg[PD_ERRMSG_MAX];
	int code; /* the enum pd_err given to pd_fail */
} pd_errbuf;

/* printf into an error buffer and record err in it; returns err so callers
 * can `return pd_fail(...)`. */
int pd_fail(pd_errbuf *eb, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Allocation wrappers that abort on failure: for daemons, where running on
 * without memory is worse than a restart by the supervisor. */
void *pd_xmalloc(size_t n);
void *pd_xcalloc(size_t n, size_t size);
void *pd_xrealloc(void *p, size_t n);
char *pd_xstrdup(const char *s);

#define PD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
