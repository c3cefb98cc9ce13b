/* jail_ids: the uids (and equal gids) jailed VMMs run as - one per
 * running VM, picked by corrald (corrald_jail_uid_pick) and checked by
 * corral-vmm --jail.  Nothing on the control domain owns files with them. */
#ifndef CORRAL_JAIL_IDS_H
#define CORRAL_JAIL_IDS_H

#define JAIL_UID_FIRST 100000u
#define JAIL_UID_LAST 165535u
#define JAIL_UID_RANGE "100000-165535"

#endif
