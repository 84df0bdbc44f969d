/* The Erlang C model of a queue (M/M/N: Poisson arrivals, exponential
 * handle times, N identical servers, one FCFS queue, nobody abandons):
 * probability of waiting, service level, average speed of answer, and the
 * fewest servers that meet a service-level goal. The promo service sizes
 * its chat staffing with it (forecast.h).
 *
 * Traffic is in erlangs: arrivals per second x average handle seconds (the
 * mean number of busy servers if nobody ever waited). With N <= A the queue
 * grows without bound: every arrival waits and the service level is 0.
 *
 * Numerics: everything is derived from the Erlang B recursion, kept as
 * its reciprocal x(n) = 1/B(n) = 1 + x(n-1) * n / A (one multiply-add per
 * server, no factorials or powers, so nothing overflows before the answer
 * is 0 anyway), and C = N / (A + (N - A) x(N)). For large A the recursion
 * starts at n0 = A - 10 sqrt(A) from an approximate value instead of at 0:
 * below A each step shrinks the relative error of x by (1 - 1/x(n)), so
 * by n = A the start's error is damped by about exp(-50) and the result
 * is the exact recursion's to rounding; a call costs O(sqrt(A) + N - A)
 * steps however large the traffic. Above A the relative error never grows.
 *
 * Arguments outside their domain give NaN (the double functions) or -1
 * (pm_erlang_servers_needed), never a crash or an endless loop: servers
 * < 0; traffic NaN, infinite or < 0; aht NaN, infinite or <= 0; target
 * NaN, infinite or < 0. Pure and thread-safe. */
#ifndef PM_ERLANG_C_H
#define PM_ERLANG_C_H

/* Probability that an arrival waits (is not answered at once), in [0, 1].
 * 0 for traffic 0 (whatever the servers); 1 when servers <= traffic (an
 * unstable queue: in the long run everyone waits). NaN for servers < 0 or
 * traffic NaN, infinite or negative. */
double pm_erlang_c(int servers, double traffic_erlangs);

/* Fraction of arrivals answered within target_seconds:
 * 1 - C * exp(-(N - A) * target / aht). 1 for traffic 0; 0 when traffic > 0
 * and servers <= traffic. NaN for an argument outside its domain (see the
 * top of this file); target 0 is allowed and gives 1 - C. */
double pm_erlang_service_level(int servers, double traffic, double aht_seconds,
			       double target_seconds);

/* Average speed of answer (mean wait over all arrivals, those answered at
 * once included), seconds: C * aht / (N - A). 0 for traffic 0; +INFINITY
 * when traffic > 0 and servers <= traffic. NaN for an argument outside its
 * domain. */
double pm_erlang_asa(int servers, double traffic, double aht_seconds);

/* The fewest servers N > traffic whose service level (as computed by
 * pm_erlang_service_level, bit for bit) is >= service_level_goal, found by
 * walking N up from floor(traffic) + 1 with the recursion carried along.
 * 0 for traffic 0: nothing arrives, nobody is needed.
 * -1 when more than max_servers would be needed (including traffic >=
 * max_servers), or for an argument out of range: traffic NaN, infinite or
 * < 0, aht or target outside their domain, goal NaN or outside [0, 1)
 * (a goal of 1 is never met), max_servers < 0.
 * Cost: O(sqrt(traffic) + answer - traffic) steps; the walk ends at
 * max_servers at the latest, and sooner in practice because the service
 * level reaches 1.0 in doubles a few dozen sqrt(traffic) above traffic. */
int pm_erlang_servers_needed(double traffic, double aht_seconds, double target_seconds,
			     double service_level_goal, int max_servers);

#endif
