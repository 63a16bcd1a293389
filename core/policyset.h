/* policyset.h — policy sets as files: the .lua files of a directory (its subdirectories too) copied,
 * read into {path: text} with the set's version, or written from such an object. The service tests and
 * runs copies (core/reload.c), its dry runs compare two (core/jobs.c), and bylaw diff runs the set the
 * database last recorded. */
#ifndef BL_POLICYSET_H
#define BL_POLICYSET_H

#include "json.h"

/* Copies the .lua files of dir (and of its subdirectories) into the existing directory to; 0 or -1
 * (errno). */
int bl_set_copy(const char *dir, const char *to);

/* Writes files ({"relative/path.lua": "text" | null}) under dir, making subdirectories; null removes
 * the file. Paths with "..", a leading '/' or a value of another kind are refused. 0 or -1 (errno). */
int bl_set_write(const char *dir, const cJSON *files);

/* The .lua files under dir as {path: text} (sorted by path), and in version (17 bytes) the version of
 * the whole set: every file's name and text (calendars and modules count: they change what policies
 * decide even when no policy file changes). */
cJSON *bl_set_read(const char *dir, char version[17]);

#endif
