/* systemd's service notifications (sd_notify(3)) spoken directly on
 * $NOTIFY_SOCKET, so no libsystemd is needed: READY=1 once a service runs
 * (units use Type=notify), WATCHDOG=1 from the event loop while it turns
 * (WatchdogSec= restarts a wedged loop), STOPPING=1 on the way out.
 * Without $NOTIFY_SOCKET (a terminal, docker, the tests) nothing is sent. */
#ifndef PD_SD_NOTIFY_H
#define PD_SD_NOTIFY_H

#include <stdint.h>

/* Sends state ("READY=1", "WATCHDOG=1", ...). 1 sent, 0 no socket, -1 failed. */
int pd_notify(const char *state);

/* The watchdog period systemd asked this process for ($WATCHDOG_USEC when
 * $WATCHDOG_PID is absent or ours), in microseconds; 0 when none. */
int64_t pd_notify_watchdog_usec(void);

#endif
