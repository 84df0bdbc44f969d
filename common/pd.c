/* Error names and allocation wrappers shared by all of libpeakdesk. */
#include "pd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pd_strerror(int err)
{
	switch (err) {
	case PD_OK: return "ok";
	case PD_EINVAL: return "invalid input";
	case PD_ENOMEM: return "out of memory or over budget";
	case PD_ETOOBIG: return "too large";
	case PD_EDECODE: return "cannot decode";
	case PD_EDB: return "database error";
	case PD_EDBDOWN: return "database unavailable";
	case PD_ENNG: return "NNG error";
	case PD_ENOTFOUND: return "not found";
	case PD_ECONFLICT: return "conflict";
	case PD_ESTATE: return "impossible state transition";
	case PD_ESIG: return "bad signature";
	case PD_EIO: return "I/O error";
	case PD_ELOCKED: return "publisher name locked by another instance";
	}
	return "unknown error";
}

int pd_fail(pd_errbuf *eb, int err, const char *fmt, ...)
{
	if (eb) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
		va_end(ap);
		eb->code = err;
	}
	return err;
}

static void *oom(size_t n)
{
	fprintf(stderr, "level=fatal msg=\"out of memory\" bytes=%zu\n", n);
	abort();
}

void *pd_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : oom(n);
}

void *pd_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	return p ? p : oom(n * size);
}

void *pd_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	return q ? q : oom(n);
}

char *pd_xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	return p ? p : oom(strlen(s));
}
