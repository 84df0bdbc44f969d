/* survey_tokens: signed survey response tokens for the survey benchmark
 * (tests/bench/survey.sh) and for trying the link by hand. For each
 * invitation id it prints one line
 *   <token> <invitation uuid>
 * where the token is what peakdesk-survey puts in the link it sends
 * (sv_token_make in services/survey/survey_logic.c: the id, the expiry and
 * an HMAC-SHA256 of both under PEAKDESK_SURVEY_SECRET). The ids are new
 * random UUIDs (--count N), or read from stdin one per line (--stdin), so a
 * script can insert matching 'sent' rows into survey.invitations (COPY) and
 * POST /v1/surveys/<token> for each.
 *
 * Nothing is written to the database: the invitation rows are the caller's,
 * and their expires_at should match the expiry given here (the service
 * checks the token's expiry, then the row's). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/survey/survey.h" /* SV_SECRET_MIN, sv_token_make */
#include "ids.h"

static const char usage[] =
	"survey_tokens: signed survey response tokens (tests/bench/survey.sh)\n"
	"\n"
	"Usage: survey_tokens (--count N | --stdin) [--secret S] [--expires-ms MS | --ttl SECONDS]\n"
	"\n"
	"Prints one line per invitation: \"<token> <invitation uuid>\", the token being\n"
	"what peakdesk-survey puts in its link (POST /v1/surveys/<token>).\n"
	"\n"
	"  --count N          N new random invitation ids\n"
	"  --stdin            the invitation ids from stdin, one UUID per line\n"
	"                     (blank lines skipped; a line that is not a UUID is an error)\n"
	"  --secret S         the HMAC key, as PEAKDESK_SURVEY_SECRET (at least 16 bytes);\n"
	"                     default: the PEAKDESK_SURVEY_SECRET environment variable\n"
	"                     (keeps the key out of the process list)\n"
	"  --expires-ms MS    the links' expiry, unix milliseconds\n"
	"  --ttl SECONDS      the links' expiry, this many seconds from now (default 86400)\n"
	"  --help             this text\n"
	"\n"
	"The invitation rows must exist in survey.invitations with state 'sent' and\n"
	"expires_at after now (ideally the same expiry) for an answer to be recorded.\n"
	"Exit status: 0, 1 on a bad id on stdin or an output error, 2 on bad usage.\n";

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "survey_tokens: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(survey_tokens --help for the options)\n");
	return 2;
}

/* A whole decimal integer: 0, or -1 when s is not one. */
static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*out = (int64_t)v;
	return 0;
}

static int emit(const uint8_t *key, size_t keylen, const uint8_t id[16], int64_t expires_ms)
{
	char token[SV_TOKEN_LEN + 1], text[PD_UUID_TEXT];
	if (sv_token_make(key, keylen, id, expires_ms, token) != PD_OK) {
		fprintf(stderr, "survey_tokens: cannot make a token\n");
		return 1;
	}
	pd_uuid_format(id, text);
	return printf("%s %s\n", token, text) < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *secret = getenv("PEAKDESK_SURVEY_SECRET");
	int64_t count = -1, expires_ms = 0, ttl_s = 86400;
	int from_stdin = 0, have_expiry = 0, have_ttl = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(a, "--stdin") == 0) {
			from_stdin = 1;
			continue;
		}
		if (strcmp(a, "--count") != 0 && strcmp(a, "--secret") != 0 && strcmp(a, "--expires-ms") != 0 &&
		    strcmp(a, "--ttl") != 0)
			return bad_usage("unknown option %s", a);
		if (i + 1 >= argc)
			return bad_usage("%s needs a value", a);
		const char *v = argv[++i];
		if (strcmp(a, "--secret") == 0)
			secret = v;
		else if (strcmp(a, "--count") == 0) {
			if (parse_i64(v, &count) != 0 || count < 0)
				return bad_usage("--count: not a count: %s", v);
		} else if (strcmp(a, "--expires-ms") == 0) {
			if (parse_i64(v, &expires_ms) != 0 || expires_ms <= 0)
				return bad_usage("--expires-ms: not unix milliseconds: %s", v);
			have_expiry = 1;
		} else {
			if (parse_i64(v, &ttl_s) != 0 || ttl_s <= 0)
				return bad_usage("--ttl: not a number of seconds: %s", v);
			have_ttl = 1;
		}
	}
	if (from_stdin == (count >= 0))
		return bad_usage("%s", "give exactly one of --count N and --stdin");
	if (have_expiry && have_ttl)
		return bad_usage("%s", "give at most one of --expires-ms and --ttl");
	if (!secret || strlen(secret) < SV_SECRET_MIN)
		return bad_usage("%s", "the secret (--secret or PEAKDESK_SURVEY_SECRET) must be at least 16 bytes");
	if (!have_expiry)
		expires_ms = pd_now_ms() + ttl_s * 1000;

	const uint8_t *key = (const uint8_t *)secret;
	size_t keylen = strlen(secret);
	uint8_t id[16];
	if (!from_stdin) {
		for (int64_t i = 0; i < count; i++) {
			pd_uuid_new(id);
			if (emit(key, keylen, id, expires_ms) != 0)
				return 1;
		}
	} else {
		char line[256];
		long lineno = 0;
		while (fgets(line, sizeof(line), stdin)) {
			lineno++;
			size_t n = strcspn(line, "\r\n");
			line[n] = 0;
			char *s = line;
			while (*s == ' ' || *s == '\t')
				s++;
			for (size_t k = strlen(s); k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'); k--)
				s[k - 1] = 0;
			if (!*s)
				continue;
			if (pd_uuid_parse(s, id) != 0) {
				fprintf(stderr, "survey_tokens: stdin line %ld is not a UUID: %s\n", lineno, s);
				return 1;
			}
			if (emit(key, keylen, id, expires_ms) != 0)
				return 1;
		}
		if (ferror(stdin)) {
			fprintf(stderr, "survey_tokens: reading stdin: %s\n", strerror(errno));
			return 1;
		}
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "survey_tokens: writing: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
