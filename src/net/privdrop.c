/* After the raw socket, UDP sockets, capture and output files are open, the
 * run needs no privilege at all: sending on an open raw socket and reading
 * an open capture are not checked again. So keep nothing. */
#include <cap-ng.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ikeprobe/net.h"

enum net_err
privdrop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (geteuid() == 0 || getuid() == 0) {
		if ((pw = getpwnam(user)) == NULL) {
			snprintf(err, errlen, "unknown user `%s' to drop root "
			    "to: name another with --user", user);
			return NET_ERR_USAGE;
		}
		/* Clears every capability set and the bounding set, drops
		 * supplementary groups, then changes gid and uid. */
		capng_clear(CAPNG_SELECT_BOTH);
		if (capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
		    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) != 0) {
			snprintf(err, errlen, "cannot drop root to `%s'", user);
			return NET_ERR_ENV;
		}
	} else {
		/* File capabilities (setcap): clear them; the bounding set
		 * needs CAP_SETPCAP, which such a binary does not have. */
		capng_clear(CAPNG_SELECT_CAPS);
		if (capng_apply(CAPNG_SELECT_CAPS) < 0) {
			snprintf(err, errlen, "cannot drop capabilities");
			return NET_ERR_ENV;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot set no-new-privileges: %s",
		    strerror(errno));
		return NET_ERR_ENV;
	}
	return NET_OK;
}

const char *
self_path(void)
{
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n <= 0)
		return "/usr/local/bin/ikeprobe";
	path[n] = '\0';
	return path;
}
