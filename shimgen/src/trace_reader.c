#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "json_reader.h"
#include "trace_reader.h"

/* The fields of one line the report uses. */
typedef struct line_record {
    char ts[40];
    char export_name[TRACE_NAME_MAX];
    unsigned long long ordinal;
    unsigned long long thread;
    unsigned long long last_error;
    unsigned long long duration_ns;
    const char *args_start, *args_end;
    const char *result_start, *result_end;
    int seen; /* bits of the fields found */
} line_record;

enum {
    SEEN_TS = 1,
    SEEN_EXPORT = 2,
    SEEN_THREAD = 4,
    SEEN_LAST_ERROR = 8,
    SEEN_ORDINAL = 16
};
#define SEEN_REQUIRED (SEEN_TS | SEEN_EXPORT | SEEN_THREAD | SEEN_LAST_ERROR | SEEN_ORDINAL)

static bool digits(const char *text, int count, unsigned long long *value)
{
    *value = 0;
    for (int index = 0; index < count; index++) {
        if (text[index] < '0' || text[index] > '9')
            return false;
        *value = *value * 10 + (unsigned long long)(text[index] - '0');
    }
    return true;
}

bool trace_parse_time(const char *text, unsigned long long *microseconds)
{
    unsigned long long year, month, day, hour, minute, second, fraction;
    long long shifted_year;
    long long era;
    unsigned long long year_of_era, day_of_year, day_of_era;
    long long days;

    if (strlen(text) != 27 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || text[19] != '.' || text[26] != 'Z' || !digits(text, 4, &year) ||
        !digits(text + 5, 2, &month) || !digits(text + 8, 2, &day) || !digits(text + 11, 2, &hour) ||
        !digits(text + 14, 2, &minute) || !digits(text + 17, 2, &second) ||
        !digits(text + 20, 6, &fraction) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
        minute > 59 || second > 60 || year < 1970)
        return false;
    /* Howard Hinnant's days_from_civil. */
    shifted_year = (long long)year - (month <= 2 ? 1 : 0);
    era = shifted_year / 400;
    year_of_era = (unsigned long long)(shifted_year - era * 400);
    day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    days = era * 146097 + (long long)day_of_era - 719468;
    *microseconds =
        ((unsigned long long)days * 86400 + hour * 3600 + minute * 60 + second) * 1000000 + fraction;
    return true;
}

/* Reads one line into `record`; false when it is not a record. */
static bool read_line(const char *text, size_t length, line_record *record)
{
    json_cursor cursor;
    char key[64];

    memset(record, 0, sizeof *record);
    record->duration_ns = TRACE_NO_DURATION;
    json_begin(&cursor, text, length);
    if (!json_enter_object(&cursor))
        return false;
    while (json_next_key(&cursor, key, sizeof key)) {
        bool read;

        if (strcmp(key, "ts") == 0) {
            read = json_read_string(&cursor, record->ts, sizeof record->ts);
            record->seen |= SEEN_TS;
        } else if (strcmp(key, "export") == 0) {
            read = json_read_string(&cursor, record->export_name, sizeof record->export_name);
            record->seen |= SEEN_EXPORT;
        } else if (strcmp(key, "ordinal") == 0) {
            read = json_read_unsigned(&cursor, &record->ordinal);
            record->seen |= SEEN_ORDINAL;
        } else if (strcmp(key, "thread") == 0) {
            read = json_read_unsigned(&cursor, &record->thread);
            record->seen |= SEEN_THREAD;
        } else if (strcmp(key, "last_error") == 0) {
            read = json_read_unsigned(&cursor, &record->last_error);
            record->seen |= SEEN_LAST_ERROR;
        } else if (strcmp(key, "duration_ns") == 0) {
            read =
                json_read_unsigned(&cursor, &record->duration_ns) && record->duration_ns != TRACE_NO_DURATION;
        } else if (strcmp(key, "args") == 0) {
            read = json_skip_value(&cursor, &record->args_start, &record->args_end);
        } else if (strcmp(key, "result") == 0) {
            read = json_skip_value(&cursor, &record->result_start, &record->result_end);
        } else {
            read = json_skip_value(&cursor, NULL, NULL);
        }
        if (!read)
            return false;
    }
    return !cursor.failed && json_at_end(&cursor) && (record->seen & SEEN_REQUIRED) == SEEN_REQUIRED;
}

static size_t hash_name(const char *name)
{
    size_t hash = 2166136261u;

    for (const unsigned char *at = (const unsigned char *)name; *at != '\0'; at++)
        hash = (hash ^ *at) * 16777619u;
    return hash;
}

static bool grow(void **items, size_t *capacity, size_t size)
{
    size_t wanted = *capacity == 0 ? 64 : *capacity * 2;
    void *grown = realloc(*items, wanted * size);

    if (grown == NULL)
        return false;
    *items = grown;
    *capacity = wanted;
    return true;
}

/* Rebuilds the open-addressing index of export names, a quarter full. */
static bool rebuild_index(trace *read)
{
    size_t size = read->export_count * 4 < 64 ? 64 : read->export_count * 4;
    size_t *index = malloc(size * sizeof *index);

    if (index == NULL)
        return false;
    for (size_t slot = 0; slot < size; slot++)
        index[slot] = (size_t)-1;
    for (size_t export = 0; export < read->export_count; export ++) {
        size_t slot = hash_name(read->exports[export].name) % size;

        while (index[slot] != (size_t)-1)
            slot = (slot + 1) % size;
        index[slot] = export;
    }
    free(read->name_index);
    read->name_index = index;
    read->name_index_size = size;
    return true;
}

/* The index of export `name`, added if new; (size_t)-1 when out of memory. */
static size_t export_of(trace *read, const char *name, unsigned long long ordinal)
{
    size_t slot;

    if (read->name_index_size > 0)
        for (slot = hash_name(name) % read->name_index_size; read->name_index[slot] != (size_t)-1;
             slot = (slot + 1) % read->name_index_size)
            if (strcmp(read->exports[read->name_index[slot]].name, name) == 0)
                return read->name_index[slot];
    if (read->export_count == read->export_capacity &&
        !grow((void **)&read->exports, &read->export_capacity, sizeof *read->exports))
        return (size_t)-1;
    snprintf(read->exports[read->export_count].name, sizeof read->exports[0].name, "%s", name);
    read->exports[read->export_count].ordinal = ordinal;
    read->export_count++;
    if (read->name_index_size == 0 || read->export_count * 2 > read->name_index_size)
        return rebuild_index(read) ? read->export_count - 1 : (size_t)-1;
    for (slot = hash_name(name) % read->name_index_size; read->name_index[slot] != (size_t)-1;
         slot = (slot + 1) % read->name_index_size)
        ;
    read->name_index[slot] = read->export_count - 1;
    return read->export_count - 1;
}

/* Keeps the call among the slowest, slowest first. */
static void keep_if_slow(trace *read, const trace_call *call, const line_record *record)
{
    size_t at = read->slowest_count;
    trace_slow_call *kept;
    int written;

    if (call->duration_ns == TRACE_NO_DURATION ||
        (at == TRACE_SLOWEST_MAX && read->slowest[at - 1].call.duration_ns >= call->duration_ns))
        return;
    if (at == TRACE_SLOWEST_MAX)
        at--;
    else
        read->slowest_count++;
    while (at > 0 && read->slowest[at - 1].call.duration_ns < call->duration_ns) {
        read->slowest[at] = read->slowest[at - 1];
        at--;
    }
    kept = &read->slowest[at];
    kept->call = *call;
    snprintf(kept->ts, sizeof kept->ts, "%s", record->ts);
    written = snprintf(kept->detail, sizeof kept->detail, "%.*s",
                       record->args_start != NULL ? (int)(record->args_end - record->args_start) : 2,
                       record->args_start != NULL ? record->args_start : "{}");
    if (record->result_start != NULL && written >= 0 && (size_t)written < sizeof kept->detail)
        snprintf(kept->detail + written, sizeof kept->detail - (size_t)written, " -> %.*s",
                 (int)(record->result_end - record->result_start), record->result_start);
}

static int add_line(trace *read, const char *text, size_t length, error_message *error)
{
    line_record record;
    trace_call call;

    read->line_count++;
    if (length == 0)
        return 0;
    if (!read_line(text, length, &record) || !trace_parse_time(record.ts, &call.time_us)) {
        if (read->malformed_count++ == 0)
            read->first_malformed_line = read->line_count;
        return 0;
    }
    call.export_index = export_of(read, record.export_name, record.ordinal);
    call.thread = record.thread;
    call.duration_ns = record.duration_ns;
    call.failed = record.last_error != 0;
    if (call.export_index == (size_t)-1 ||
        (read->call_count == read->call_capacity &&
         !grow((void **)&read->calls, &read->call_capacity, sizeof *read->calls)))
        return error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
    read->calls[read->call_count++] = call;
    keep_if_slow(read, &call, &record);
    return 0;
}

int trace_read(const char *path, trace *read, error_message *error)
{
    FILE *in = fopen(path, "rb");
    char *line = NULL;
    size_t capacity = 0;
    size_t length = 0;
    int rc = 0;
    int byte;

    memset(read, 0, sizeof *read);
    if (in == NULL)
        return error_set(error, SHIMGEN_EXIT_UNREADABLE, "cannot be opened");
    while (rc == 0 && (byte = fgetc(in)) != EOF) {
        if (length + 1 >= capacity && !grow((void **)&line, &capacity, 1)) {
            rc = error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
            break;
        }
        if (byte != '\n') {
            line[length++] = (char)byte;
            continue;
        }
        rc = add_line(read, line, length, error);
        length = 0;
    }
    /* A last line without its line break: written while the process died. */
    if (rc == 0 && length > 0)
        rc = add_line(read, line, length, error);
    if (rc == 0 && ferror(in))
        rc = error_set(error, SHIMGEN_EXIT_UNREADABLE, "cannot be read");
    fclose(in);
    free(line);
    if (rc == 0 && read->call_count == 0 && read->malformed_count > 0)
        rc = error_set(error, SHIMGEN_EXIT_MALFORMED,
                       "not a trace: no line is a record (line %zu is the first that is not)",
                       read->first_malformed_line);
    return rc;
}

void trace_free(trace *read)
{
    free(read->calls);
    free(read->exports);
    free(read->name_index);
    memset(read, 0, sizeof *read);
}
