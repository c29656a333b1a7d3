/* sort - quicksort (median of three, insertion sort for short ranges) and
 * bottom-up merge sort of the same n pseudo-random 32-bit keys; both results
 * must agree and be ordered. */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 4000000, .quick = 500000, .interp = 20000 };

static void insertion_sort(uint32_t *a, int lo, int hi)
{
    for (int i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        int j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(uint32_t *a, int i, int j)
{
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

/* Recurse into the smaller half, loop on the larger: depth stays O(log n). */
static void quick_sort(uint32_t *a, int lo, int hi)
{
    while (hi - lo > 16) {
        int mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swap(a, mid, lo);
        if (a[hi] < a[lo]) swap(a, hi, lo);
        if (a[hi] < a[mid]) swap(a, hi, mid);
        uint32_t pivot = a[mid];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) swap(a, i++, j--);
        }
        if (j - lo < hi - i) {
            quick_sort(a, lo, j);
            lo = i;
        } else {
            quick_sort(a, i, hi);
            hi = j;
        }
    }
    insertion_sort(a, lo, hi);
}

static void merge_sort(uint32_t *data, uint32_t *tmp, int n)
{
    uint32_t *a = data;
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n;
            int hi = lo + 2 * width < n ? lo + 2 * width : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
            while (i < mid) tmp[k++] = a[i++];
            while (j < hi) tmp[k++] = a[j++];
        }
        uint32_t *t = a;
        a = tmp;
        tmp = t;
    }
    if (a != data)
        memcpy(data, a, (size_t)n * sizeof *a);
}

uint32_t bench_run(int n)
{
    size_t bytes = (size_t)n * sizeof(uint32_t);
    uint32_t *q = bench_alloc(bytes), *m = bench_alloc(bytes), *tmp = bench_alloc(bytes);
    uint32_t seed = 12345;
    for (int i = 0; i < n; i++)
        q[i] = bench_rand(&seed) % 1000000007u;
    memcpy(m, q, bytes);
    quick_sort(q, 0, n - 1);
    merge_sort(m, tmp, n);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n; i++) {
        if (q[i] != m[i] || (i > 0 && q[i - 1] > q[i]))
            bench_fail("sort: results differ or are out of order");
        if ((i & 63) == 0)
            h = bench_hash(h, q[i]);
    }
    free(q);
    free(m);
    free(tmp);
    return h;
}
