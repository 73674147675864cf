# The Debian package (scripts/package.sh: build/switchboard_<version>_<arch>.deb).
# Destinations are relative to CPACK_PACKAGING_INSTALL_PREFIX "/", so the package holds
# /usr/bin, /etc/switchboard and /lib/systemd/system; `cmake --install build --prefix DIR`
# puts the same tree under DIR.

set(SB_PKG_CONFIG ${CMAKE_BINARY_DIR}/package/cluster.ini)
# The default config with paths that work when installed: the transcripts database in the
# service's state directory (the unit's WorkingDirectory, /var/lib/switchboard).
file(READ ${CMAKE_CURRENT_SOURCE_DIR}/cluster.ini _sb_ini)
set(_sb_from "transcripts = sqlite:switchboard-transcripts.db")
set(_sb_to "transcripts = sqlite:/var/lib/switchboard/transcripts.db")
string(FIND "${_sb_ini}" "${_sb_from}" _sb_at)
if(_sb_at EQUAL -1)
  message(FATAL_ERROR "cluster.ini has no '${_sb_from}': update cmake/Packaging.cmake")
endif()
string(REPLACE "${_sb_from}" "${_sb_to}" _sb_ini "${_sb_ini}")
# The example dialog of the offline agent is installed next to the config, where its
# relative path (resolved against the config file's directory) finds it:
# /etc/switchboard/dialogs/order-status.ini, a conffile like the config.
set(_sb_from "dialog = dialogs/order-status.ini")
string(FIND "${_sb_ini}" "${_sb_from}" _sb_at)
if(_sb_at EQUAL -1)
  message(FATAL_ERROR "cluster.ini has no '${_sb_from}': update cmake/Packaging.cmake")
endif()
string(REPLACE "# switchboard node configuration: the documented defaults."
  "# switchboard node configuration: the documented defaults (installed by the package;\n# the service runs it as user switchboard in /var/lib/switchboard)."
  _sb_ini "${_sb_ini}")
file(WRITE ${SB_PKG_CONFIG} "${_sb_ini}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cluster.ini)

set(_sb_programs switchboard)
foreach(p switchboard-provider-sim switchboard-loadgen)
  if(TARGET ${p})
    list(APPEND _sb_programs ${p})
  endif()
endforeach()
install(TARGETS ${_sb_programs} RUNTIME DESTINATION usr/bin)
install(FILES ${SB_PKG_CONFIG} DESTINATION etc/switchboard PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES deploy/systemd/switchboard.service DESTINATION lib/systemd/system)
install(FILES deploy/logrotate/switchboard DESTINATION etc/logrotate.d)
install(FILES README.md DESTINATION usr/share/doc/switchboard)
install(DIRECTORY dialogs/ DESTINATION etc/switchboard/dialogs)
install(DIRECTORY docs/ DESTINATION usr/share/doc/switchboard/docs)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME switchboard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX "/")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "runtime for AI phone-call agents (CAF actors, Twilio/Exotel media streams)")
set(CPACK_PACKAGE_DESCRIPTION "switchboard answers telephony media streams over WebSocket and runs\nspeech-to-text, an LLM and text-to-speech per call, with per-key provider pools\nshared across a cluster of nodes. Includes the provider simulator and load generator.")
set(CPACK_PACKAGE_CONTACT "switchboard maintainers <switchboard@localhost>")
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Libraries the binaries link come from dpkg-shlibdeps; the rest is named here:
# libwebsockets loads its libev event loop as a plugin at run time (net/lws), adduser is
# for postinst, ca-certificates for providers over TLS, pocketsphinx-en-us is the offline
# recogniser's model and espeak-ng-data the synthesiser's voices (the packaged config runs
# the offline providers).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libwebsockets-evlib-ev, adduser, ca-certificates, pocketsphinx-en-us, espeak-ng-data")
execute_process(COMMAND dpkg --print-architecture OUTPUT_VARIABLE _sb_arch
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(_sb_arch)
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${_sb_arch})
endif()
set(CPACK_DEBIAN_FILE_NAME "switchboard_${PROJECT_VERSION}_${CPACK_DEBIAN_PACKAGE_ARCHITECTURE}.deb")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/postinst
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/prerm
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/postrm
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
