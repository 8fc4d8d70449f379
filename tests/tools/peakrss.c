#define _DEFAULT_SOURCE /* wait4 */
/* peakrss FILE CMD [ARG]...: runs CMD (stdin, stdout and stderr inherited),
 * then writes its peak resident set size in KiB to FILE and exits with CMD's
 * status (128 + signal if it was killed). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: peakrss FILE CMD [ARG]...\n");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("peakrss: fork");
        return 3;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("peakrss: exec");
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0) {
        perror("peakrss: wait4");
        return 3;
    }
    FILE *f = fopen(argv[1], "w");
    if (!f || fprintf(f, "%ld\n", ru.ru_maxrss) < 0 || fclose(f) != 0) {
        perror("peakrss: writing the result");
        return 3;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
