// Calendar arithmetic and strftime on fixed instants (UTC), so the
// output does not depend on when the test runs.
#include <stdio.h>
#include <time.h>

int main(void) {
    const time_t instants[] = {0, 951782400, 1234567890, 1700000000, 4102444800};
    for (int i = 0; i < 5; i++) {
        struct tm tm;
        gmtime_r(&instants[i], &tm);
        char buf[128];
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %j %a %b", &tm);
        printf("%lld -> %s wday=%d yday=%d\n", (long long)instants[i], buf, tm.tm_wday,
               tm.tm_yday);
        tm.tm_mday += 40;
        time_t later = timegm(&tm);
        printf("  +40 days = %lld\n", (long long)later);
    }
    return 0;
}
