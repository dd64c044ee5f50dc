/* After the raw socket, UDP sockets, capture and output files are open, the
 * run needs no privilege at all: sending on an open raw socket and reading
 * an open capture are not checked again. So keep nothing. */
#include <cap-ng.h>
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ikeprobe/net.h"

int
privdrop_to(uid_t uid, gid_t gid)
{
	bool root = geteuid() == 0 || getuid() == 0;

	capng_clear(CAPNG_SELECT_BOTH);
	if (root && uid != 0) {
		/* Clears every capability set and the bounding set, drops
		 * supplementary groups, then changes gid and uid. */
		if (capng_change_id((int)uid, (int)gid,
		    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) != 0)
			return errno = EPERM, -1;
	} else if (capng_apply(root ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS) < 0)
		/* File capabilities (setcap): the bounding set needs
		 * CAP_SETPCAP, which such a binary does not have. */
		return errno = EPERM, -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

enum net_err
privdrop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw = NULL;

	if ((geteuid() == 0 || getuid() == 0) &&
	    (pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "unknown user `%s' to drop root to: name "
		    "another with --user", user);
		return NET_ERR_USAGE;
	}
	if (privdrop_to(pw ? pw->pw_uid : getuid(), pw ? pw->pw_gid :
	    getgid()) < 0) {
		snprintf(err, errlen, "cannot give up privileges%s%s: %s",
		    pw ? " to user " : "", pw ? user : "", strerror(errno));
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
