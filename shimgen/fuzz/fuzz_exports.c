/* libFuzzer target: any bytes through the PE reader (exports and
 * resources), both printers and the .def writer. A crash, a sanitizer report or a hang is a bug; a refusal is
 * the expected answer to most inputs. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "def_writer.h"
#include "exports_output.h"
#include "pe_exports.h"
#include "pe_image.h"
#include "pe_resources.h"
#include "wrap_plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    pe_image image;
    pe_export_table table = { 0 };
    pe_resource_list resources = { 0 };
    wrap_plan plan = { 0 };
    error_message error = { "" };
    const wrap_request request = { .input_path = "fuzz.dll",
                                   .output_directory = "unused",
                                   .twinshim_source_dir = "/twinshim" };

    if (sink == NULL)
        sink = fopen("/dev/null", "w");
    if (pe_image_open(&image, data, size, &error) != 0)
        return 0;
    pe_read_resources(&image, &resources, &error);
    pe_resource_list_free(&resources);
    if (pe_read_exports(&image, &table, &error) != 0)
        goto done;
    if (sink != NULL) {
        exports_print_table(sink, "fuzz.dll", &image, &table);
        exports_print_json(sink, &table);
        if (wrap_plan_build(&request, &image, &table, &plan, NULL, &error) == 0)
            def_write(sink, &plan);
    }
done:
    wrap_plan_free(&plan);
    pe_export_table_free(&table);
    return 0;
}
