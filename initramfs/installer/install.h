/* install: the install, upgrade and boot confirmation themselves, on the
 * running control domain (devices, mounts, the tools of sys.h). */
#ifndef CORRAL_INSTALLER_INSTALL_H
#define CORRAL_INSTALLER_INSTALL_H

#include <stddef.h>

#include "answer.h"
#include "disk.h"
#include "progress.h"

/* Where the control domain keeps what the installer reads. */
#define GRUB_IMAGE_DIR "/usr/share/corral/grub"
#define LIVE_STATE_DIR "/var/lib/corral"
#define MEDIUM_DIR "/run/corral/medium"
#define TARGET_DIR "/run/corral/target"
#define ANSWER_MEDIA_DIR "/run/corral/answer-media"
/* An answer file baked into the ISO (build.sh iso --answer FILE). */
#define MEDIUM_ANSWER_PATH "corral/answer.conf"

/* Lists the disks with their labels, medium and mount facts. */
int disks_probe(struct disk *disks, size_t max, size_t *count, char *err, size_t err_len);

/* Mounts the Corral medium (the ISO, label CORRAL) read-only at
 * MEDIUM_DIR unless it is mounted there already. */
int medium_mount(char *err, size_t err_len);
void medium_unmount(void);

/* Finds the answer file named on the kernel command line (corral.answer=
 * PATH on the CORRAL-ANSWER partition) or baked into the medium.  Returns
 * 1 with the path, 0 when there is none, -1 with err on a failure. */
int answer_locate(char *path, size_t len, char *err, size_t err_len);

/* The install of answer to target, step by step on p.  Returns 0, or -1
 * after progress_fail said which step failed and why. */
int install_run(const struct disk *target, const struct answer *answer,
                struct progress *p);
extern const int install_step_count; /* for progress_init */

/* Writes the kernel and initramfs of iso into the other boot slot and
 * makes it boot once (see bootcfg.h). */
int upgrade_run(const char *iso, struct progress *p);
extern const int upgrade_step_count;

/* The boot menu's password: GRUB's PBKDF2 form of the root password, kept
 * in BOOT_PASSWORD_FILE (with the state, like the shadow file) and, on an
 * installed system, in the ESP's grub/password.cfg (bootcfg.h).  The
 * install carries the live session's file over. */
#define BOOT_PASSWORD_FILE LIVE_STATE_DIR "/boot-password"
/* Sets it from password (lib/password.h's rules): 0 with what was done in
 * msg, or -1 with why not. */
int boot_password_set(const char *password, char *msg, size_t msg_len);

/* Called when the system reached the ready state: the slot it booted
 * (corral.slot= on the command line) becomes the slot that boots. */
int boot_ok(char *msg, size_t msg_len);

#endif
