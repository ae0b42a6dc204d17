/* count_script.c -- instructions per step of a schedule script called from
 * C, counted by callgrind rather than timed: the count is the same on a
 * loaded machine, so a change to the per-step path can be judged exactly.
 * bench/count_script.sh runs it with N steps and with none; the difference
 * over N is one step. Usage: count_script SCRIPT N [trusted] */
#include "lrengine.h"
#include "lrengine_script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 3) return fprintf(stderr, "usage: count_script SCRIPT N [trusted]\n"), 2;
    lre_script_limits limits = {0};
    limits.unsandboxed = argc > 3 && !strcmp(argv[3], "trusted");
    lre_schedule *s;
    lre_error err;
    if (lre_script_load_file(&s, argv[1], &limits, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
    long n = atol(argv[2]);
    double v, sum = 0;
    for (long i = 0; i < n; i++) lre_schedule_eval(s, i % 100000, &v, NULL), sum += v;
    lre_schedule_release(s);
    printf("%g\n", sum);
    return 0;
}
