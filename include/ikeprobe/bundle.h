/* --output DIR: the report as JSON, Markdown and text, and the capture,
 * for a ticket. Each file is written to a temporary name in DIR and renamed
 * into place only when whole, so an interrupted or killed run never leaves
 * a half file under a final name.
 *
 * The files are created before privileges are dropped (DIR may be one only
 * root can write); the renames come after the run, when the process runs
 * as nobody and could not do them. So bundle_open() forks a keeper that
 * holds only the directory: it drops every capability (and becomes the
 * directory's owner when started as root), then waits for one word: commit
 * (rename the files into place) or abort (remove them). If the main process
 * dies, even by SIGKILL, the keeper sees its socket close and removes the
 * temporary files. */
#ifndef IKEPROBE_BUNDLE_H
#define IKEPROBE_BUNDLE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "ikeprobe/doc.h"
#include "ikeprobe/net.h"

#define BUNDLE_TMP_LEN	40	/* ".report.json.XXXXXX" and room to spare */

enum bundle_file {
	BUNDLE_JSON,
	BUNDLE_MARKDOWN,
	BUNDLE_TEXT,
	BUNDLE_KEYS,
	BUNDLE_SSTP_CHAIN,
	BUNDLE_PCAP,
	BUNDLE_N,
};

struct bundle {
	const char	*dir;
	int		 dirfd;
	int		 fd[BUNDLE_N];		/* temporary files; -1 closed */
	char		 tmp[BUNDLE_N][BUNDLE_TMP_LEN];	/* their names in dir */
	int		 sock;			/* to the keeper */
	pid_t		 keeper;
};

/* A bundle that is not open: bundle_abort() on it does nothing. */
void	 bundle_init(struct bundle *);
/* Create (if need be) and check DIR, create the temporary files and start
 * the keeper. NET_ERR_USAGE: DIR is not a directory; NET_ERR_ENV: it cannot
 * be created or written. */
enum net_err bundle_open(struct bundle *, const char *dir, char *, size_t);
/* The capture's temporary file as a stream for libpcap's dumper, which
 * owns (and closes) the stream; NULL on failure. */
FILE	*bundle_pcap_stream(struct bundle *);
/* Write report.json (json as given), report.md and report.txt (rendered
 * from d, which was read from json), then rename every file into place
 * (the capture must be closed by now). 0, or -1 with one line in err;
 * the temporary files are gone either way. */
int	 bundle_write_report(struct bundle *, const char *json,
	    const struct doc *d, char *, size_t);
/* Remove the temporary files; nothing appears in DIR. */
void	 bundle_abort(struct bundle *);

#endif
