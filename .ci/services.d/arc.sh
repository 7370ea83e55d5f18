# Sourced by .ci/services: dkimpy's ARC support (arc and senderauth interop
# tests seal and verify with python3-dkim) needs python3-authres, which
# python3-dkim only suggests. No service to start; without it those tests
# skip with a message.
apt_packages+=(python3-authres)
