/* daemon/sql.h - SQLite helpers shared by the store's files. */
#ifndef HRD_SQL_H
#define HRD_SQL_H

#include <headroom/error.h>

struct sqlite3;
/* HR_EIO with "database: WHAT: sqlite's message". */
int hrd__sql_error(hr_error *err, struct sqlite3 *db, const char *what);
/* Run SQL text; HR_EIO with SQLite's message on failure. */
int hrd__sql_exec(struct sqlite3 *db, const char *sql, hr_error *err);

#endif
