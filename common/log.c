/* Structured log lines on stderr (see log.h). One write(2) per line so lines
 * from several threads never interleave. */
#include "log.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char g_service[64] = "peakdesk";
static char g_instance[64] = "";
static enum pd_log_level g_level = PD_LOG_INFO;
static int g_json;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void pd_log_init(const char *service, const char *instance, const char *level,
		 const char *format)
{
	if (service)
		snprintf(g_service, sizeof(g_service), "%s", service);
	if (instance)
		snprintf(g_instance, sizeof(g_instance), "%s", instance);
	for (int i = 0; level && i < 4; i++)
		if (strcmp(level, level_names[i]) == 0)
			g_level = (enum pd_log_level)i;
	g_json = format && strcmp(format, "json") == 0;
}

int pd_log_enabled(enum pd_log_level level)
{
	return level >= g_level;
}

/* Splits "k=v k2=\"v 2\"" into pairs and adds them to obj. */
static void kv_to_json(json_object *obj, const char *kv)
{
	const char *p = kv;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *eq = strchr(p, '=');
		if (!eq)
			break;
		char key[64];
		size_t klen = (size_t)(eq - p) < sizeof(key) - 1 ? (size_t)(eq - p) : sizeof(key) - 1;
		memcpy(key, p, klen);
		key[klen] = 0;
		p = eq + 1;
		char val[1024];
		size_t n = 0;
		if (*p == '"') {
			p++;
			while (*p && *p != '"' && n < sizeof(val) - 1)
				val[n++] = *p++;
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ' ' && n < sizeof(val) - 1)
				val[n++] = *p++;
		}
		val[n] = 0;
		json_object_object_add(obj, key, json_object_new_string(val));
	}
}

void pd_log(enum pd_log_level level, const char *msg, const char *kvfmt, ...)
{
	if (level < g_level)
		return;
	char kv[2048] = "";
	if (kvfmt && *kvfmt) {
		va_list ap;
		va_start(ap, kvfmt);
		vsnprintf(kv, sizeof(kv), kvfmt, ap);
		va_end(ap);
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char tbuf[40];
	size_t tl = strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tbuf + tl, sizeof(tbuf) - tl, ".%03ldZ", ts.tv_nsec / 1000000);

	char line[4096];
	int len;
	if (g_json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "ts", json_object_new_string(tbuf));
		json_object_object_add(o, "level", json_object_new_string(level_names[level]));
		json_object_object_add(o, "service", json_object_new_string(g_service));
		json_object_object_add(o, "instance", json_object_new_string(g_instance));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		kv_to_json(o, kv);
		len = snprintf(line, sizeof(line), "%s\n",
			       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		len = snprintf(line, sizeof(line), "ts=%s level=%s service=%s instance=%s msg=\"%s\"%s%s\n",
			       tbuf, level_names[level], g_service, g_instance, msg,
			       *kv ? " " : "", kv);
	}
	if (len >= (int)sizeof(line)) {
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	ssize_t w = write(STDERR_FILENO, line, (size_t)len);
	(void)w;
}
