/* Samples, their statistics, and the flat JSON object the program prints. */
#include <stdio.h>
#include <stdlib.h>

#include "bench_program.h"

typedef struct result {
    char key[96];
    char text[160]; /* already JSON: a number or a quoted string */
} result;

static result results[640];
static int result_count;

void add_sample(samples *s, double value)
{
    if (s->count < MAX_SAMPLES)
        s->value[s->count++] = value;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

double median_of(const samples *s)
{
    samples sorted = *s;

    if (s->count == 0)
        return 0.0;
    qsort(sorted.value, (size_t)sorted.count, sizeof sorted.value[0], compare_doubles);
    if (sorted.count % 2 == 1)
        return sorted.value[sorted.count / 2];
    return (sorted.value[sorted.count / 2 - 1] + sorted.value[sorted.count / 2]) / 2.0;
}

double min_of(const samples *s)
{
    double low = s->count > 0 ? s->value[0] : 0.0;

    for (int i = 1; i < s->count; i++)
        if (s->value[i] < low)
            low = s->value[i];
    return low;
}

double max_of(const samples *s)
{
    double high = s->count > 0 ? s->value[0] : 0.0;

    for (int i = 1; i < s->count; i++)
        if (s->value[i] > high)
            high = s->value[i];
    return high;
}

samples ratios(const samples *numerator, const samples *denominator)
{
    samples out = { .count = 0 };

    for (int i = 0; i < numerator->count && i < denominator->count; i++)
        if (denominator->value[i] > 0.0)
            add_sample(&out, numerator->value[i] / denominator->value[i]);
    return out;
}

double percentile_of(double *values, size_t count, double fraction)
{
    size_t rank;

    if (count == 0)
        return 0.0;
    qsort(values, count, sizeof values[0], compare_doubles);
    rank = (size_t)(fraction * (double)count + 0.5);
    if (rank > 0)
        rank--;
    return values[rank < count ? rank : count - 1];
}

static result *new_result(const char *key)
{
    result *r;

    if (result_count == (int)(sizeof results / sizeof results[0]))
        fail("too many results");
    r = &results[result_count++];
    snprintf(r->key, sizeof r->key, "%s", key);
    return r;
}

void put_number(const char *key, double value)
{
    result *r = new_result(key);

    if (value != value || value > 1e300 || value < -1e300)
        snprintf(r->text, sizeof r->text, "null");
    else
        snprintf(r->text, sizeof r->text, "%.6g", value);
}

void put_string(const char *key, const char *value)
{
    result *r = new_result(key);
    size_t out = 0;

    r->text[out++] = '"';
    for (const char *c = value; *c != '\0' && out + 3 < sizeof r->text; c++) {
        if (*c == '"' || *c == '\\')
            r->text[out++] = '\\';
        r->text[out++] = (char)((unsigned char)*c < 0x20 ? ' ' : *c);
    }
    r->text[out++] = '"';
    r->text[out] = '\0';
}

void put_stats(const char *key, const samples *s)
{
    char name[96];

    snprintf(name, sizeof name, "%s_median", key);
    put_number(name, median_of(s));
    snprintf(name, sizeof name, "%s_min", key);
    put_number(name, min_of(s));
    snprintf(name, sizeof name, "%s_max", key);
    put_number(name, max_of(s));
}

void print_results(void)
{
    printf("{\n");
    for (int i = 0; i < result_count; i++)
        printf("  \"%s\": %s%s\n", results[i].key, results[i].text, i + 1 < result_count ? "," : "");
    printf("}\n");
    fflush(stdout);
}
