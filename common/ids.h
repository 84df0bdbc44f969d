/* UUIDs (libuuid) and wall-clock time in unix milliseconds. */
#ifndef PD_IDS_H
#define PD_IDS_H

#include <stdint.h>

#define PD_UUID_TEXT 37 /* 36 characters + NUL */

void pd_uuid_new(uint8_t out[16]);                      /* random (v4) */
void pd_uuid_format(const uint8_t id[16], char out[PD_UUID_TEXT]);
int pd_uuid_parse(const char *text, uint8_t out[16]);   /* 0 or PD_EINVAL */
/* New random UUID in text form (for ids stored as text in messages). */
void pd_uuid_new_text(char out[PD_UUID_TEXT]);
/* Unguessable public id: 22 characters, 110 random bits (getrandom). */
void pd_public_id_new(char out[24]);

int64_t pd_now_ms(void);         /* CLOCK_REALTIME */
int64_t pd_mono_ms(void);        /* CLOCK_MONOTONIC, for timeouts */
/* ISO-8601 UTC ("2026-11-11T00:00:00.000Z") for ms since the epoch. */
void pd_time_format(int64_t ms, char out[32]);

#endif
