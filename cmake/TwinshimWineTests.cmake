# The project's own cmocka suites under Wine (cmake/wine-run is the
# emulator). A suite passes only if cmocka printed its summary, and nothing
# said a test failed or the program ended with another status than 0:
# Wine ends a program with status 0, silently, when the wineserver goes
# away (docs/wine-vs-windows.md, section 21), so the exit status alone
# could pass a suite that never ran its tests. wine-run says a non-zero
# status on standard error when TWINSHIM_WINE_RUN_SAYS_STATUS is 1.
function(twinshim_wine_suite_properties name)
    set_tests_properties(${name} PROPERTIES
        ENVIRONMENT TWINSHIM_WINE_RUN_SAYS_STATUS=1
        PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] [0-9]+ test"
        FAIL_REGULAR_EXPRESSION "\\[  FAILED  \\]|\\[  ERROR   \\]|wine-run: .* ended with status")
endfunction()
