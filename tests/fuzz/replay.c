// SPDX-License-Identifier: Apache-2.0
/*
 * A main() for the fuzz targets without libFuzzer: feeds every file named
 * on the command line (directories: every file in them) to
 * LLVMFuzzerTestOneInput once. Linked with a target in an ordinary build,
 * it replays the seed and regression corpora under the sanitizers, so a
 * crasher once found stays fixed. Exit status 0 when every input ran.
 */
#include "onm/util.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	char *buf;
	size_t len;

	if (read_file(path, &buf, &len)) {
		fprintf(stderr, "%s: cannot read\n", path);
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int failures = 0, n = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *dir;
		struct dirent *de;

		if (stat(argv[i], &st) || !S_ISDIR(st.st_mode)) {
			failures += run_file(argv[i]);
			n++;
			continue;
		}
		dir = opendir(argv[i]);
		if (!dir) {
			fprintf(stderr, "%s: cannot open\n", argv[i]);
			failures++;
			continue;
		}
		while ((de = readdir(dir))) {
			char *path;

			if (de->d_name[0] == '.')
				continue;
			path = xasprintf("%s/%s", argv[i], de->d_name);
			failures += run_file(path);
			n++;
			free(path);
		}
		closedir(dir);
	}
	printf("%d inputs, %d unreadable\n", n, failures);
	return failures ? 1 : 0;
}
