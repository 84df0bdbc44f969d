/* Closing an NNG socket without hanging the process. */
#ifndef PD_NNG_CLOSE_H
#define PD_NNG_CLOSE_H

#include <nng/nng.h>

/* nng_close() on a helper thread, waiting at most wait_ms for it. NNG 1.5.2
 * (Debian 12) can deadlock in nng_close() while a dialer reconnects to a
 * publisher that went away (nanomsg/nng#1543, fixed in later releases); a
 * shutdown must not hang on it. Returns 0 when the close finished, -1 when
 * it was left running (logged; the process is about to exit anyway). Only
 * for sockets whose callbacks touch none of the caller's memory. */
int pd_nng_close_bounded(nng_socket s, int wait_ms, const char *what);

#endif
