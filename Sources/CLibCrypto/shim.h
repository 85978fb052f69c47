// OpenSSL's libcrypto (Debian's libssl-dev): HMAC-SHA256 for redaction tokens.
#include <openssl/evp.h>
#include <openssl/hmac.h>
