/* floyd - loop nest: all-pairs shortest paths by Floyd-Warshall on a dense
 * n x n C99 2-D array of int32 distances (a random directed graph, ~1/8 of
 * the edges present, weights 1..1000).  The inner loop is a min of sums
 * along a row, which native code vectorizes.
 *
 * Self-check: Dijkstra's algorithm (O(n^2), array-based) from a few sources
 * on the original graph must give the same rows, and the diagonal stays 0.
 */
#include "bench.h"

/* bench-group: loop-nests */

const struct bench_sizes bench_sizes = { .full = 1000, .quick = 360, .interp = 150 };

#define NO_EDGE (1 << 29) /* NO_EDGE + NO_EDGE still fits in an int32_t */
#define SOURCES 4

static void graph_make(int n, int32_t g[n][n])
{
    uint32_t seed = 31;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            uint32_t r = bench_rand(&seed);
            g[i][j] = i == j ? 0 : (r & 7) == 0 ? (int32_t)(1 + (r >> 8) % 1000) : NO_EDGE;
        }
}

static void floyd_warshall(int n, int32_t d[n][n])
{
    for (int k = 0; k < n; k++)
        for (int i = 0; i < n; i++) {
            int32_t dik = d[i][k];
            for (int j = 0; j < n; j++) {
                int32_t via = dik + d[k][j];
                d[i][j] = via < d[i][j] ? via : d[i][j];
            }
        }
}

static void dijkstra(int n, int32_t g[n][n], int src, int32_t *dist, uint8_t *done)
{
    for (int v = 0; v < n; v++) {
        dist[v] = NO_EDGE;
        done[v] = 0;
    }
    dist[src] = 0;
    for (int round = 0; round < n; round++) {
        int u = -1;
        for (int v = 0; v < n; v++)
            if (!done[v] && (u < 0 || dist[v] < dist[u]))
                u = v;
        done[u] = 1;
        for (int v = 0; v < n; v++)
            if (g[u][v] != NO_EDGE && dist[u] + g[u][v] < dist[v])
                dist[v] = dist[u] + g[u][v];
    }
}

static void check(int n, int32_t g[n][n], int32_t d[n][n])
{
    int32_t *dist = bench_alloc(sizeof(int32_t[n]));
    uint8_t *done = bench_alloc((size_t)n);
    for (int s = 0; s < SOURCES; s++) {
        int src = (int)((uint32_t)s * 2654435761u % (uint32_t)n);
        dijkstra(n, g, src, dist, done);
        for (int v = 0; v < n; v++)
            if (dist[v] != d[src][v])
                bench_fail("floyd: Floyd-Warshall and Dijkstra disagree");
    }
    for (int i = 0; i < n; i++)
        if (d[i][i] != 0)
            bench_fail("floyd: non-zero diagonal");
    free(dist);
    free(done);
}

uint32_t bench_run(int n)
{
    int32_t (*g)[n] = bench_alloc(sizeof(int32_t[n][n]));
    int32_t (*d)[n] = bench_alloc(sizeof(int32_t[n][n]));
    graph_make(n, g);
    memcpy(d, g, sizeof(int32_t[n][n]));
    floyd_warshall(n, d);
    check(n, g, d);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            h = bench_hash(h, (uint32_t)d[i][j]);
    free(g);
    free(d);
    return h;
}
