/* Tests for sim/scn_keys: the tables are well formed (every mapping within SCNK_MAX_KEYS keys,
 * unique names, ranges in order, enum keys with names), the value rules accept their range and
 * refuse its edges with the key's name, and scnk_format writes values as a file does. */
#include <stdio.h>
#include <string.h>

#include "sim/scn_keys.h"
#include "tests/cu.h"

static int tables_seen;

static void check_table(const struct scnk_table *t)
{
    tables_seen++;
    CU_ASSERT(t->n > 0 && t->n <= SCNK_MAX_KEYS);
    for (int i = 0; i < t->n; i++) {
        const struct scnk_key *k = &t->keys[i];
        CU_ASSERT_PTR_NOT_NULL_FATAL(k->name);
        for (int j = 0; j < i; j++)
            CU_ASSERT(strcmp(k->name, t->keys[j].name) != 0);
        if (k->type == SCNK_T_UINT || k->type == SCNK_T_TIME || k->type == SCNK_T_STR)
            CU_ASSERT(k->lo <= k->hi);
        if (k->type == SCNK_T_TIME)
            CU_ASSERT(k->unit == SCNK_MS || k->unit == SCNK_US);
        if (k->type == SCNK_T_DOUBLE)
            CU_ASSERT(k->dlo <= k->dhi);
        if (k->type == SCNK_T_ENUM)
            CU_ASSERT(k->names != NULL && k->nnames > 0);
        if (k->type == SCNK_T_MAP || k->type == SCNK_T_LIST) {
            CU_ASSERT_PTR_NOT_NULL_FATAL(k->sub);
            check_table(k->sub);
        }
        char a[320];
        scnk_allowed(k, a, sizeof a);
        CU_ASSERT(strlen(a) > 0);
    }
}

static void test_tables_well_formed(void)
{
    tables_seen = 0;
    check_table(&scnk_top);
    CU_ASSERT(tables_seen >= 10); /* top, device, jitter, events, transport, consumer, ... */
}

static const struct scnk_key *key_named(const struct scnk_table *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->keys[i].name, name) == 0)
            return &t->keys[i];
    return NULL;
}

static void test_value_rules(void)
{
    const struct scnk_key *dev = key_named(&scnk_top, "device");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
    const struct scnk_key *size = key_named(dev->sub, "packet_size");
    CU_ASSERT_PTR_NOT_NULL_FATAL(size);
    struct scnk_fail f = {{0}, 0, 0};
    CU_ASSERT_EQUAL(scnk_check_uint(size, 1, &f), 0); /* framing raw; usbsim's 32: a rule */
    CU_ASSERT_EQUAL(scnk_check_uint(size, 1024, &f), 0);
    CU_ASSERT_EQUAL(scnk_check_uint(size, 1025, &f), -1);
    CU_ASSERT_STRING_EQUAL(f.msg, "packet_size: 1025 is out of range; allowed: an integer 1..1024");
    CU_ASSERT_EQUAL(f.line, 0); /* the caller places it */
    CU_ASSERT_EQUAL(scnk_locate(&f, 3, 4), -1);
    CU_ASSERT_EQUAL(f.line, 3);
    CU_ASSERT_EQUAL(f.col, 4);
    const struct scnk_key *period = key_named(dev->sub, "period_us");
    CU_ASSERT_PTR_NOT_NULL_FATAL(period);
    CU_ASSERT_EQUAL(scnk_check_time(period, 100 * SCNK_US, 1.0, &f), 0);
    CU_ASSERT_EQUAL(scnk_check_time(period, 100 * SCNK_US + 1, 1.0, &f), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "not a whole number of us"));
    CU_ASSERT_EQUAL(scnk_check_time(period, 100 * SCNK_US + 1, 2.0, &f), 0); /* scaled: any ns */
    const struct scnk_key *name = key_named(&scnk_top, "name");
    CU_ASSERT_PTR_NOT_NULL_FATAL(name);
    CU_ASSERT_EQUAL(scnk_check_str(name, "ok-name_1.x", 11, &f), 0);
    CU_ASSERT_EQUAL(scnk_check_str(name, "no space", 8, &f), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "has a character that is not allowed"));
}

static void test_format_and_fields(void)
{
    const struct scnk_key *dev = key_named(&scnk_top, "device");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
    struct scn_scenario s;
    scn_defaults(&s);
    char o[64];
    const struct scnk_key *vid = key_named(dev->sub, "vid");
    const struct scnk_key *period = key_named(dev->sub, "period_us");
    const struct scnk_key *ep = key_named(dev->sub, "endpoint");
    CU_ASSERT_PTR_NOT_NULL_FATAL(vid);
    CU_ASSERT_PTR_NOT_NULL_FATAL(period);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ep);
    scnk_format(vid, (const char *)&s + vid->off, 1.0, o, sizeof o);
    CU_ASSERT_STRING_EQUAL(o, "0x1209");
    scnk_format(period, (const char *)&s + period->off, 1.0, o, sizeof o);
    CU_ASSERT_STRING_EQUAL(o, "10000");
    scnk_format(period, (const char *)&s + period->off, 0.5, o, sizeof o); /* back in file time */
    CU_ASSERT_STRING_EQUAL(o, "5000");
    scnk_format(ep, (const char *)&s + ep->off, 1.0, o, sizeof o);
    CU_ASSERT_STRING_EQUAL(o, "interrupt");
    uint8_t b[8] = {0};
    scnk_put(b, 2, 0x12345);
    CU_ASSERT_EQUAL(scnk_get(b, 2), 0x2345);
    scnk_put(b, 8, UINT64_MAX);
    CU_ASSERT_EQUAL(scnk_get(b, 8), UINT64_MAX);
    static const char *const names[] = {"a", NULL};
    CU_ASSERT_STRING_EQUAL(scnk_name(names, 2, 0), "a");
    CU_ASSERT_STRING_EQUAL(scnk_name(names, 2, 1), "?");
    CU_ASSERT_STRING_EQUAL(scnk_name(names, 2, 7), "?");
}

static CU_TestInfo tests[] = {
    {"tables well formed", test_tables_well_formed},
    {"value rules name the key and what is allowed", test_value_rules},
    {"values formatted as a file writes them", test_format_and_fields},
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_main("scn_keys", tests); }
