/* Structured logging: one line per event, logfmt (key=value) or JSON lines,
 * on stderr. Every line carries ts, level, service and instance; callers add
 * the context that answers "which one?" (event_id, publisher, ticket, ...).
 *
 *   pd_log_info("batch committed", "events=%d seq=%llu", n, seq);
 *   -> ts=2026-11-11T00:00:01.123Z level=info service=logistics
 *      instance=logistics-1 msg="batch committed" events=12 seq=881
 *
 * The kv argument is a printf format producing key=value pairs separated by
 * spaces (values with spaces must be quoted by the caller with %s inside
 * \"...\"); in JSON mode the pairs are converted to JSON members. */
#ifndef PD_LOG_H
#define PD_LOG_H

enum pd_log_level { PD_LOG_DEBUG, PD_LOG_INFO, PD_LOG_WARN, PD_LOG_ERROR };

/* service/instance appear on every line. level: "debug"..."error";
 * format: "logfmt" or "json". Unknown values keep the defaults (info, logfmt). */
void pd_log_init(const char *service, const char *instance, const char *level,
		 const char *format);
int pd_log_enabled(enum pd_log_level level);
void pd_log(enum pd_log_level level, const char *msg, const char *kvfmt, ...)
	__attribute__((format(printf, 3, 4)));

#define pd_log_debug(msg, ...) \
	do { if (pd_log_enabled(PD_LOG_DEBUG)) pd_log(PD_LOG_DEBUG, msg, __VA_ARGS__); } while (0)
#define pd_log_info(msg, ...) pd_log(PD_LOG_INFO, msg, __VA_ARGS__)
#define pd_log_warn(msg, ...) pd_log(PD_LOG_WARN, msg, __VA_ARGS__)
#define pd_log_error(msg, ...) pd_log(PD_LOG_ERROR, msg, __VA_ARGS__)

#endif
