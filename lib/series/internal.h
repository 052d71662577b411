/* Library-internal helpers shared by the series readers: a CSV cell scanner
 * that tracks line and column, and checked cell-to-number conversion with
 * "file:line:col: what" messages. */
#ifndef HR_SERIES_INTERNAL_H
#define HR_SERIES_INTERNAL_H

#include <headroom/series.h>
#include <headroom/util.h>

/* Readers refuse files larger than this (hr_read_file limit). */
#define HR__READ_MAX_BYTES ((size_t)1 << 30)

typedef struct hr__scan {
    const char *p, *end;    /* cursor and end of input */
    const char *line_start; /* first byte of the current line */
    long line;              /* 1-based */
    const char *name;       /* labels messages */
} hr__scan;

enum { HR__END_COMMA, HR__END_EOL, HR__END_EOF };

typedef struct hr__cell {
    const char *s; /* contents, without the quotes */
    size_t len;
    long line, col; /* 1-based position of the cell's first byte */
    bool quoted;
    bool escaped; /* quoted and contains "" (decode with hr__cell_unquote) */
    int end;      /* HR__END_*: what followed the cell */
} hr__cell;

void hr__scan_init(hr__scan *sc, const char *buf, size_t len, const char *name);
bool hr__scan_eof(const hr__scan *sc);
/* The next cell of the current line. After a cell ending in HR__END_EOL the
 * scanner is on the next line. Quoted cells ("...", "" for a quote) must not
 * span lines; a quote inside an unquoted cell is an ordinary byte. CRLF and
 * LF both end a line. HR_EPARSE on an unterminated quote or text after a
 * closing quote. */
int hr__scan_cell(hr__scan *sc, hr__cell *c, hr_error *err);
/* Skip to the start of the next line (or EOF). */
void hr__scan_skip_line(hr__scan *sc);

/* Copy the cell's text into a malloc'd NUL-terminated string, decoding "". */
char *hr__cell_dup(const hr__cell *c);

/* `"text"` with non-printable bytes as \xNN, cut at about 40 bytes. */
void hr__quote(char *buf, size_t size, const char *s, size_t len);

/* Cell -> finite double. HR_EPARSE with messages "value "x" is not a
 * number" / "is not a finite number" (nan, inf) / "is out of range". */
int hr__cell_double(const hr__scan *sc, const hr__cell *c, double *out, hr_error *err);

/* Grow a series' value array to hold at least n values (HR_ELIMIT past
 * HR_SERIES_MAX_LEN). */
int hr__series_reserve(hr_series *s, size_t n);

/* Last component of a path (after the last '/'). */
const char *hr__basename(const char *path);

#endif
