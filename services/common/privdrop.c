/* SPDX-License-Identifier: Apache-2.0 */
/*
 * privdrop.c: dropping root. See privdrop.h.
 *
 * The order matters. The bounding set can only be emptied while we still
 * hold CAP_SETPCAP, so it comes first. Groups go before the user ID, while
 * we may still change them. setresuid() from root to another user clears
 * the permitted, effective and ambient sets (no SECBIT_KEEP_CAPS here) but
 * not the inheritable one, so capset() empties everything afterwards.
 */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The highest capability this kernel knows, from /proc (63 if unknown). */
static int last_cap(void)
{
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
    int n = -1;

    if (f != NULL) {
        if (fscanf(f, "%d", &n) != 1)
            n = -1;
        fclose(f);
    }
    return n >= 0 && n < 64 ? n : 63;
}

/*
 * Reads the process's capability sets (version 3: two 32-bit words). The
 * buffer is cleared first: the kernel fills both words, but valgrind
 * only knows of one (its capget wrapper predates version 3) and would
 * report the check of the second as a use of uninitialised memory.
 */
static int cap_get(struct __user_cap_data_struct data[2])
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};

    memset(data, 0, 2 * sizeof(*data));
    return (int)syscall(SYS_capget, &hdr, data);
}

/* Empties the permitted, effective and inheritable sets. */
static int cap_clear_all(void)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];

    memset(data, 0, sizeof(data));
    return (int)syscall(SYS_capset, &hdr, data);
}

int privdrop_harden(char *err, size_t errlen)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s",
                 strerror(errno));
        return -1;
    }

    /* EINVAL: a kernel before 4.3 has no ambient set, so nothing to clear. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
        errno != EINVAL) {
        snprintf(err, errlen, "clearing the ambient capabilities: %s",
                 strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * Checks that the process is now uid:gid with no group and no capability
 * left, and that root cannot be regained.
 */
static int verify(uid_t uid, gid_t gid, char *err, size_t errlen)
{
    struct __user_cap_data_struct data[2];
    uid_t ru, eu, su;
    gid_t rg, eg, sg;

    if (getresuid(&ru, &eu, &su) != 0 || ru != uid || eu != uid || su != uid ||
        getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid) {
        snprintf(err, errlen, "the user or group ID did not change as asked");
        return -1;
    }
    if (getgroups(0, NULL) != 0) {
        snprintf(err, errlen, "supplementary groups are still set");
        return -1;
    }
    if (cap_get(data) != 0 || data[0].effective || data[0].permitted ||
        data[0].inheritable || data[1].effective || data[1].permitted ||
        data[1].inheritable) {
        snprintf(err, errlen, "capabilities are still held");
        return -1;
    }
    if (uid != 0 && setresuid(0, 0, 0) == 0) {
        snprintf(err, errlen, "root could be regained");
        return -1;
    }
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
        snprintf(err, errlen, "no-new-privileges is not set");
        return -1;
    }
    return 0;
}

int privdrop_to(
    uid_t uid, gid_t gid, struct privdrop_report *rep, char *err, size_t errlen)
{
    int cap, last = last_cap();

    memset(rep, 0, sizeof(*rep));

    /*
     * The bounding set limits what any later exec can ever gain. Dropping
     * needs CAP_SETPCAP, which Docker grants root by default; without it
     * (--cap-drop SETPCAP) the set stays, which is safe enough because
     * the switch to a non-root user empties the others and no-new-privileges
     * stops file capabilities and setuid programs.
     */
    for (cap = 0; cap <= last; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
            if (errno == EPERM) {
                rep->bounding_kept = 1;
                break;
            }
            if (errno == EINVAL)
                break; /* beyond what this kernel knows */
            snprintf(err, errlen, "prctl(PR_CAPBSET_DROP, %d): %s", cap,
                     strerror(errno));
            return -1;
        }
    }
    if (privdrop_harden(err, errlen) != 0)
        return -1;
    if (setgroups(0, NULL) != 0) {
        snprintf(err, errlen,
                 "clearing supplementary groups: %s (the container needs "
                 "the SETGID capability, which Docker grants by default)",
                 strerror(errno));
        return -1;
    }
    if (setresgid(gid, gid, gid) != 0) {
        snprintf(err, errlen,
                 "switching to group %u: %s (the container needs the SETGID "
                 "capability, which Docker grants by default)",
                 (unsigned)gid, strerror(errno));
        return -1;
    }
    if (setresuid(uid, uid, uid) != 0) {
        snprintf(err, errlen,
                 "switching to user %u: %s (the container needs the SETUID "
                 "capability, which Docker grants by default)",
                 (unsigned)uid, strerror(errno));
        return -1;
    }
    if (cap_clear_all() != 0) {
        snprintf(err, errlen, "clearing capabilities: %s", strerror(errno));
        return -1;
    }
    return verify(uid, gid, err, errlen);
}

int privdrop_passwd_user(const char *path,
                         const char *name,
                         uid_t *uid,
                         gid_t *gid)
{
    FILE *f = fopen(path, "re");
    struct passwd *pw;
    int rc = -1;

    if (f == NULL)
        return -1;
    while ((pw = fgetpwent(f)) != NULL) {
        if (strcmp(pw->pw_name, name) == 0) {
            *uid = pw->pw_uid;
            *gid = pw->pw_gid;
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
}
