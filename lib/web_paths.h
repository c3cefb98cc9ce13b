/* web_paths: where corral-web keeps its certificate, for corral-web and for
 * the console UI, which shows the fingerprint (docs/web-api.md). */
#ifndef CORRAL_WEB_PATHS_H
#define CORRAL_WEB_PATHS_H

#define WEB_STATE_DIR "/var/lib/corral/web"
/* One line: the certificate's SHA-256 as AB:CD:... (written at each start). */
#define WEB_FINGERPRINT_FILE WEB_STATE_DIR "/fingerprint"

#endif
