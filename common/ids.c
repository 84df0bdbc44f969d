/* UUIDs through libuuid (a well-kept Debian library) and clock helpers. */
#include "ids.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/random.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include "pd.h"

/* Random (v4) UUIDs from the kernel's CSPRNG, drawn 4 KiB at a time per
 * thread: libuuid's uuid_generate_random costs several system calls per id
 * (getrandom, getpid, getuid, a PRNG reseed), a fifth of the stock
 * service's writer time when every report emits an event. */
static _Thread_local uint8_t pool[4096];
static _Thread_local size_t left;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* A forked child must not hand out the ids its parent still holds. */
static void forget_pool(void)
{
	left = 0;
}

static void register_fork_handler(void)
{
	pthread_atfork(NULL, NULL, forget_pool);
}

void pd_uuid_new(uint8_t out[16])
{
	pthread_once(&fork_once, register_fork_handler);
	if (left < 16) {
		size_t got = 0;
		while (got < sizeof(pool)) {
			ssize_t n = getrandom(pool + got, sizeof(pool) - got, 0);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got < sizeof(pool)) { /* cannot happen after boot; be safe */
			uuid_generate_random(out);
			return;
		}
		left = sizeof(pool);
	}
	memcpy(out, pool + sizeof(pool) - left, 16);
	memset(pool + sizeof(pool) - left, 0, 16); /* an id is never handed out twice */
	left -= 16;
	out[6] = (uint8_t)((out[6] & 0x0F) | 0x40); /* version 4 */
	out[8] = (uint8_t)((out[8] & 0x3F) | 0x80); /* RFC 4122 variant */
}

void pd_uuid_format(const uint8_t id[16], char out[PD_UUID_TEXT])
{
	uuid_unparse_lower(id, out);
}

int pd_uuid_parse(const char *text, uint8_t out[16])
{
	if (!text || strlen(text) != 36)
		return PD_EINVAL;
	return uuid_parse(text, out) == 0 ? PD_OK : PD_EINVAL;
}

void pd_uuid_new_text(char out[PD_UUID_TEXT])
{
	uint8_t id[16];
	pd_uuid_new(id);
	pd_uuid_format(id, out);
}

void pd_public_id_new(char out[24])
{
	/* 32 symbols without look-alikes (no l, o, 0, 1): 5 random bits each. */
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
	uint8_t r[22];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		uuid_generate_random(r); /* getrandom cannot fail after boot; be safe */
		uuid_generate_random(r + 6);
	}
	for (int i = 0; i < 22; i++)
		out[i] = alphabet[r[i] & 31];
	out[22] = 0;
}

int64_t pd_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pd_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pd_time_format(int64_t ms, char out[32])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}
