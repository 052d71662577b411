/* Library-internal helpers of lib/act. */
#ifndef HR_ACT_INTERNAL_H
#define HR_ACT_INTERNAL_H

#include <headroom/act.h>

#include <sys/types.h>

/* Run argv (argv[0] looked up in PATH) to completion with `input` (may be
 * NULL) on its stdin; its stdout goes to out[0..outsize) and its stderr to
 * errout[0..errsize) (each NUL-terminated, truncated, may be NULL).
 * `timeout_ms` > 0 kills it (SIGKILL) when it runs longer. Returns the exit
 * status (0..255), 128 + signal when killed, or HR_EIO when it cannot be
 * started (err names argv[0]). */
int hr__run(const char *const *argv, const char *input, char *out, size_t outsize, char *errout,
            size_t errsize, int64_t timeout_ms, hr_error *err);

/* Start argv in the background, its stdin /dev/null and stdout+stderr
 * appended to `log` (NULL = /dev/null), in a new session. *pid gets its pid. */
int hr__spawn_bg(const char *const *argv, const char *log, pid_t *pid, hr_error *err);

/* The lowest stage of plan `plan` holding a FAILED action, or INT64_MAX. */
int hr__journal_min_failed_stage(hr_journal *j, const char *plan, int64_t *out, hr_error *err);

/* Milliseconds on the monotonic clock. */
int64_t hr__mono_ms(void);
void hr__sleep_ms(int64_t ms);

#endif
