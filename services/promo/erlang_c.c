/* Erlang C by the reciprocal Erlang B recursion (see erlang_c.h for the
 * numerics). Every function goes through the same three helpers, so the
 * service level pm_erlang_servers_needed accepts is bit for bit the one
 * pm_erlang_service_level reports for the same N: a staffing plan never
 * shows a level below the goal it was sized for. */
#include "erlang_c.h"

#include <float.h>
#include <math.h>

/* How many standard deviations below A the recursion starts (see the top
 * of erlang_c.h): the start's error is damped by about exp(-K*K/2). */
#define START_SIGMAS 10.0

static int traffic_ok(double a)
{
	return isfinite(a) && a >= 0;
}

static int aht_ok(double aht)
{
	return isfinite(aht) && aht > 0;
}

static int target_ok(double t)
{
	return isfinite(t) && t >= 0;
}

/* The recursion's starting point for traffic a > 0: *n gets n0 and the
 * return is x(n0) = 1/B(n0, a). From 0 (exact, B(0) = 1) when a is small
 * enough for that to be cheap; otherwise from n0 = a - K sqrt(a) with
 * x ~ a / (a - n0), the recursion's fixed point there, which is within a
 * few per cent of the truth, and the steps up to a damp that away. */
static double x_start(double a, int *n)
{
	double n0 = floor(a - START_SIGMAS * sqrt(a));
	if (n0 < 1) {
		*n = 0;
		return 1.0;
	}
	*n = (int)n0;
	return a / (a - n0);
}

/* x(n) from x(n-1): one step of the reciprocal Erlang B recursion.
 * Saturates at +inf, where B (and so C) is 0 to double precision. */
static double x_step(double x, int n, double a)
{
	return 1.0 + x * ((double)n / a);
}

/* x(servers) for a > 0 and servers > a. Stops early once x overflows:
 * it only grows from there and C is 0 already. */
static double x_at(int servers, double a)
{
	int n;
	double x = x_start(a, &n);
	while (n < servers && x <= DBL_MAX)
		x = x_step(x, ++n, a);
	return x;
}

/* C from x(N) = 1/B(N): C = N B / (N - A (1 - B)) = N / (A + (N - A) x). */
static double c_from_x(int servers, double a, double x)
{
	return (double)servers / (a + ((double)servers - a) * x);
}

static double sl_from_c(int servers, double a, double c, double aht, double t)
{
	return 1.0 - c * exp(-((double)servers - a) * t / aht);
}

double pm_erlang_c(int servers, double traffic)
{
	if (servers < 0 || !traffic_ok(traffic))
		return NAN;
	if (traffic == 0)
		return 0.0;
	if ((double)servers <= traffic)
		return 1.0;
	return c_from_x(servers, traffic, x_at(servers, traffic));
}

double pm_erlang_service_level(int servers, double traffic, double aht, double target)
{
	if (servers < 0 || !traffic_ok(traffic) || !aht_ok(aht) || !target_ok(target))
		return NAN;
	if (traffic == 0)
		return 1.0;
	if ((double)servers <= traffic)
		return 0.0;
	double c = c_from_x(servers, traffic, x_at(servers, traffic));
	return sl_from_c(servers, traffic, c, aht, target);
}

double pm_erlang_asa(int servers, double traffic, double aht)
{
	if (servers < 0 || !traffic_ok(traffic) || !aht_ok(aht))
		return NAN;
	if (traffic == 0)
		return 0.0;
	if ((double)servers <= traffic)
		return INFINITY;
	double c = c_from_x(servers, traffic, x_at(servers, traffic));
	return c * aht / ((double)servers - traffic);
}

int pm_erlang_servers_needed(double traffic, double aht, double target, double goal,
			     int max_servers)
{
	if (!traffic_ok(traffic) || !aht_ok(aht) || !target_ok(target) || max_servers < 0 ||
	    !(goal >= 0 && goal < 1))
		return -1;
	if (traffic == 0)
		return 0;
	if (traffic >= (double)max_servers)
		return -1; /* the first stable N, floor(A) + 1, is already too many */

	/* Walk N up from the first stable count, one recursion step per N:
	 * x_at(first) costs O(sqrt(A)), each further N is O(1). */
	int n = (int)floor(traffic) + 1;
	double x = x_at(n, traffic);
	for (;;) {
		double c = c_from_x(n, traffic, x);
		if (sl_from_c(n, traffic, c, aht, target) >= goal)
			return n;
		if (n >= max_servers)
			return -1;
		if (x <= DBL_MAX)
			x = x_step(x, ++n, traffic);
		else
			n++; /* C is 0 from here on: the next N meets any goal < 1 */
	}
}
