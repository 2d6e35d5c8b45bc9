# ftcore_add_plugin(NAME SOURCES src... [INSTALL_DIR dir] [NO_INSTALL])
#
# Builds a plugin: a shared module named NAME.so linked to libftcore, with hidden symbols except
# the entry point made by FTCORE_PLUGIN. In the ftcore tree it lands in the built-in plugin
# directory; out of tree it is installed to INSTALL_DIR (default lib/ftcore/plugins).
function(ftcore_add_plugin NAME)
  cmake_parse_arguments(ARG "NO_INSTALL" "INSTALL_DIR" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "ftcore_add_plugin(${NAME}): no SOURCES given")
  endif()
  add_library(${NAME} MODULE ${ARG_SOURCES})
  target_link_libraries(${NAME} PRIVATE ftcore::ftcore)
  set_target_properties(${NAME} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    INSTALL_RPATH "$ORIGIN/../..")
  if(DEFINED FTCORE_PLUGIN_OUTPUT_DIR)
    set_target_properties(${NAME} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${FTCORE_PLUGIN_OUTPUT_DIR}")
  endif()
  if(NOT ARG_NO_INSTALL)
    if(NOT ARG_INSTALL_DIR)
      include(GNUInstallDirs)
      set(ARG_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/ftcore/plugins")
    endif()
    install(TARGETS ${NAME} LIBRARY DESTINATION "${ARG_INSTALL_DIR}")
  endif()
endfunction()
