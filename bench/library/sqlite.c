/* sqlite - a real library workload: SQLite's amalgamation (fetched by
 * bench/library/fetch.py, never committed) running an in-memory database:
 * bulk inserts through prepared statements, two indexes, joins with
 * GROUP BY, indexed point queries, a correlated UPDATE, a DELETE, a sort,
 * LIKE over text, and PRAGMA integrity_check.
 *
 * It follows the kernel contract (bench/kernels/common/bench.h) and links
 * with the hosted driver common/main.c; n is the number of customers (ten
 * orders each).  SQLite is built with SQLITE_OS_OTHER: the only VFS is the
 * one below, which opens no files, draws its "randomness" from a fixed
 * xorshift and reports a fixed time, so the run imports nothing from WASI
 * but stdout and is deterministic on every engine.  Only integers and text
 * reach the checksum.
 *
 * Self-check: the totals SQLite reports (rows, sums of quantities and
 * values, rows deleted) must equal the ones this program computes while
 * generating the data, and integrity_check must say "ok".
 */
#include "sqlite3.h"
#include "bench.h"

/* bench-group: library */

const struct bench_sizes bench_sizes = { .full = 20000, .quick = 1000, .interp = 100 };

#define ORDERS_PER_CUSTOMER 10
#define ITEMS 1000
#define CITIES 97

/* --- the VFS: no files, fixed randomness and time ------------------------ */

static uint32_t vfs_seed = 12345;

static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out)
{
    (void)vfs, (void)name, (void)flags, (void)out;
    file->pMethods = NULL;
    return SQLITE_CANTOPEN;
}

static int vfs_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
    (void)vfs, (void)name, (void)sync;
    return SQLITE_IOERR_DELETE;
}

static int vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs, (void)name, (void)flags;
    *out = 0;
    return SQLITE_OK;
}

static int vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int size, char *out)
{
    (void)vfs;
    sqlite3_snprintf(size, out, "%s", name);
    return SQLITE_OK;
}

static int vfs_randomness(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    for (int i = 0; i < size; i++)
        out[i] = (char)bench_rand(&vfs_seed);
    return size;
}

static int vfs_sleep(sqlite3_vfs *vfs, int microseconds)
{
    (void)vfs;
    return microseconds;
}

static int vfs_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    *out = 2460000.5; /* a fixed Julian day */
    return SQLITE_OK;
}

static int vfs_last_error(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs, (void)size, (void)out;
    return 0;
}

static sqlite3_vfs bench_vfs = {
    .iVersion = 1,
    .szOsFile = sizeof(sqlite3_file),
    .mxPathname = 256,
    .zName = "bench",
    .xOpen = vfs_open,
    .xDelete = vfs_delete,
    .xAccess = vfs_access,
    .xFullPathname = vfs_full_pathname,
    .xRandomness = vfs_randomness,
    .xSleep = vfs_sleep,
    .xCurrentTime = vfs_current_time,
    .xGetLastError = vfs_last_error,
};

int sqlite3_os_init(void)
{
    return sqlite3_vfs_register(&bench_vfs, 1);
}

int sqlite3_os_end(void)
{
    return SQLITE_OK;
}

/* --- helpers -------------------------------------------------------------- */

static void check_rc(sqlite3 *db, int rc, int want)
{
    if (rc != want)
        bench_fail(sqlite3_errmsg(db));
}

static void exec(sqlite3 *db, const char *sql)
{
    check_rc(db, sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    check_rc(db, sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    return st;
}

static uint32_t hash_i64(uint32_t h, int64_t v)
{
    return bench_hash(bench_hash(h, (uint32_t)v), (uint32_t)((uint64_t)v >> 32));
}

/* Steps st to its end, folding every column of every row into h. */
static uint32_t rows_hash(sqlite3 *db, sqlite3_stmt *st, uint32_t h)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            int type = sqlite3_column_type(st, c);
            h = bench_hash(h, (uint32_t)type);
            if (type == SQLITE_INTEGER) {
                h = hash_i64(h, sqlite3_column_int64(st, c));
            } else if (type == SQLITE_TEXT) {
                const unsigned char *s = sqlite3_column_text(st, c);
                for (int i = 0; i < sqlite3_column_bytes(st, c); i++)
                    h = bench_hash(h, s[i]);
            } else if (type != SQLITE_NULL) {
                bench_fail("sqlite: a result that is neither integer, text nor NULL");
            }
        }
    check_rc(db, rc, SQLITE_DONE);
    check_rc(db, sqlite3_reset(st), SQLITE_OK);
    return h;
}

static uint32_t query_hash(sqlite3 *db, const char *sql, uint32_t h)
{
    sqlite3_stmt *st = prepare(db, sql);
    h = rows_hash(db, st, h);
    sqlite3_finalize(st);
    return h;
}

/* The single integer a one-row, one-column query returns. */
static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = prepare(db, sql);
    check_rc(db, sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void text_make(char *out, int len, uint32_t *seed)
{
    for (int i = 0; i < len; i++)
        out[i] = (char)('a' + bench_rand(seed) % 26u);
    out[len] = '\0';
}

/* --- the workload --------------------------------------------------------- */

struct totals {
    int64_t orders, qty, value, deleted;
};

static void load(sqlite3 *db, int n, struct totals *t)
{
    uint32_t seed = 2024;
    char text[64];
    exec(db, "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, category INTEGER);"
             "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, city INTEGER,"
             " balance INTEGER);"
             "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, item INTEGER,"
             " qty INTEGER, price INTEGER, note TEXT);");
    exec(db, "BEGIN");
    sqlite3_stmt *st = prepare(db, "INSERT INTO items VALUES(?1, ?2, ?3)");
    for (int i = 0; i < ITEMS; i++) {
        text_make(text, 8 + i % 8, &seed);
        sqlite3_bind_int(st, 1, i);
        sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 3, (int)(bench_rand(&seed) % 40u));
        check_rc(db, sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = prepare(db, "INSERT INTO customers VALUES(?1, ?2, ?3, 0)");
    for (int i = 0; i < n; i++) {
        text_make(text, 6 + i % 10, &seed);
        sqlite3_bind_int(st, 1, i);
        sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 3, (int)(bench_rand(&seed) % CITIES));
        check_rc(db, sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = prepare(db, "INSERT INTO orders(customer, item, qty, price, note)"
                     " VALUES(?1, ?2, ?3, ?4, ?5)");
    for (int64_t i = 0; i < (int64_t)n * ORDERS_PER_CUSTOMER; i++) {
        int customer = (int)(bench_rand(&seed) % (uint32_t)n);
        int item = (int)(bench_rand(&seed) % ITEMS);
        int qty = 1 + (int)(bench_rand(&seed) % 9u), price = 1 + (int)(bench_rand(&seed) % 5000u);
        text_make(text, 4 + (int)(i % 28), &seed);
        sqlite3_bind_int(st, 1, customer);
        sqlite3_bind_int(st, 2, item);
        sqlite3_bind_int(st, 3, qty);
        sqlite3_bind_int(st, 4, price);
        sqlite3_bind_text(st, 5, text, -1, SQLITE_TRANSIENT);
        check_rc(db, sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
        t->orders++;
        t->qty += qty;
        t->value += (int64_t)qty * price;
        t->deleted += qty == 1 && item % 5 == 0;
    }
    sqlite3_finalize(st);
    exec(db, "COMMIT");
    exec(db, "CREATE INDEX orders_customer ON orders(customer);"
             "CREATE INDEX customers_city ON customers(city, name);");
}

static void totals_check(sqlite3 *db, const struct totals *t)
{
    if (query_int(db, "SELECT count(*) FROM orders") != t->orders ||
        query_int(db, "SELECT sum(qty) FROM orders") != t->qty ||
        query_int(db, "SELECT sum(qty * price) FROM orders") != t->value)
        bench_fail("sqlite: totals differ from the data inserted");
}

/* Indexed point queries: one prepared statement, n executions. */
static uint32_t lookups(sqlite3 *db, int n, uint32_t h)
{
    sqlite3_stmt *st = prepare(db, "SELECT count(*), sum(qty), max(price) FROM orders"
                                   " WHERE customer = ?1");
    uint32_t seed = 77;
    for (int i = 0; i < n; i++) {
        sqlite3_bind_int(st, 1, (int)(bench_rand(&seed) % (uint32_t)n));
        h = rows_hash(db, st, h);
    }
    sqlite3_finalize(st);
    return h;
}

static uint32_t workload(sqlite3 *db, int n)
{
    struct totals t = { 0, 0, 0, 0 };
    load(db, n, &t);
    totals_check(db, &t);
    uint32_t h = BENCH_HASH_INIT;
    h = query_hash(db, "SELECT c.city, count(*), sum(o.qty * o.price) FROM orders o"
                       " JOIN customers c ON c.id = o.customer GROUP BY c.city ORDER BY c.city", h);
    h = query_hash(db, "SELECT i.category, count(*), sum(o.qty), max(o.price) FROM orders o"
                       " JOIN items i ON i.id = o.item WHERE o.qty > 3"
                       " GROUP BY i.category ORDER BY i.category", h);
    h = lookups(db, n, h);
    exec(db, "UPDATE customers SET balance = balance + (SELECT coalesce(sum(qty * price), 0)"
             " FROM orders WHERE customer = customers.id) WHERE city % 3 = 0");
    h = hash_i64(h, query_int(db, "SELECT sum(balance) FROM customers"));
    exec(db, "DELETE FROM orders WHERE qty = 1 AND item % 5 = 0");
    if (sqlite3_changes(db) != t.deleted)
        bench_fail("sqlite: DELETE removed a different number of rows");
    t.orders -= t.deleted;
    h = query_hash(db, "SELECT id, name, balance FROM customers"
                       " ORDER BY balance DESC, id LIMIT 200", h);
    h = query_hash(db, "SELECT city, name FROM customers WHERE city BETWEEN 10 AND 12"
                       " ORDER BY city, name, id LIMIT 500", h);
    h = query_hash(db, "SELECT count(*), sum(length(note)), min(note), max(note) FROM orders"
                       " WHERE note LIKE '%ab%'", h);
    h = query_hash(db, "SELECT substr(note, 1, 2) AS p, count(*) FROM orders"
                       " GROUP BY p ORDER BY 2 DESC, p LIMIT 50", h);
    if (query_int(db, "SELECT count(*) FROM orders") != t.orders)
        bench_fail("sqlite: row count after DELETE is wrong");
    sqlite3_stmt *st = prepare(db, "PRAGMA integrity_check");
    check_rc(db, sqlite3_step(st), SQLITE_ROW);
    if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
        bench_fail("sqlite: integrity_check failed");
    sqlite3_finalize(st);
    return h;
}

uint32_t bench_run(int n)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        bench_fail("sqlite: cannot open an in-memory database");
    uint32_t h = workload(db, n);
    sqlite3_close(db);
    return h;
}
