/* banned.h - functions the library does not use (after git's banned.h).
 *
 * Include it last, after every system header, from each library source.
 * A banned call then fails to compile with an error naming the function:
 *   sprintf, vsprintf       -> snprintf / vsnprintf
 *   strcpy, strcat, strncpy, strncat -> memcpy with an explicit length
 *   strtok, strtok_r        -> explicit scanning
 *   atoi, atol, atoll, atof -> hr_parse_* (util.h)
 *   gets                    -> never
 */
#ifndef HR_BANNED_H
#define HR_BANNED_H

#define HR_BANNED(func) sorry_##func##_is_a_banned_function

#undef sprintf
#define sprintf(...) HR_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) HR_BANNED(vsprintf)
#undef strcpy
#define strcpy(...) HR_BANNED(strcpy)
#undef strcat
#define strcat(...) HR_BANNED(strcat)
#undef strncpy
#define strncpy(...) HR_BANNED(strncpy)
#undef strncat
#define strncat(...) HR_BANNED(strncat)
#undef strtok
#define strtok(...) HR_BANNED(strtok)
#undef strtok_r
#define strtok_r(...) HR_BANNED(strtok_r)
#undef atoi
#define atoi(...) HR_BANNED(atoi)
#undef atol
#define atol(...) HR_BANNED(atol)
#undef atoll
#define atoll(...) HR_BANNED(atoll)
#undef atof
#define atof(...) HR_BANNED(atof)
#undef gets
#define gets(...) HR_BANNED(gets)

#endif
