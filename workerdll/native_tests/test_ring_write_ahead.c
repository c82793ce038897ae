/* ring_write_ahead (message_ring.h), natively on Linux, where Wine maps a
 * journal file:
 * - it changes no byte of the journal;
 * - it writes the pages of free space from the tail on, up to its span and
 *   never past the free space's end, and, told not to go again, only pages
 *   it has not written in this lap;
 * - after a write-back (msync), a post's write to each page of the ring
 *   faults; after a write ahead it does not: the faults were the write
 *   ahead's thread's.
 * Usage: test_ring_write_ahead FOLDER   (for the journal file: on a file
 * system that tracks dirty pages, such as ext4; a tmpfs does not, and the
 * last test then says so and is skipped). Exit code 0 when every test
 * passed, 77 when the others passed and the last was skipped, 1 when one
 * failed. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../message_ring.h"

#define PAGE 4096u
#define SMALL_RING (64u * 1024u)
#define WRITE_BACK_RING (4u * 1024u * 1024u)

static int failures;

#define CHECK(condition, ...) \
    do { \
        if (!(condition)) { \
            fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, __func__); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
            failures++; \
        } \
    } while (0)

/* A ring over `image` (a header page, then ring_size bytes) with its
 * release point and tail where the test puts them. */
static void open_ring(unsigned char *image, uint64_t ring_size, uint64_t release, uint64_t tail,
                      message_ring *ring)
{
    journal_header *header = (journal_header *)(void *)image;
    journal_view view = {
        .header = header,
        .ring = image + JOURNAL_HEADER_SIZE,
        .ring_size = ring_size,
        .ring_mask = ring_size - 1,
        .message_limit = (uint32_t)(ring_size / 4),
    };

    header->release = release;
    header->tail = tail;
    message_ring_open(ring, &view);
}

static unsigned char *heap_image(uint64_t ring_size)
{
    unsigned char *image = aligned_alloc(PAGE, JOURNAL_HEADER_SIZE + ring_size);

    if (image == NULL) {
        perror("aligned_alloc");
        exit(1);
    }
    uint32_t state = 2463534242u;

    memset(image, 0, JOURNAL_HEADER_SIZE);
    for (uint64_t i = 0; i < ring_size; i++) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        image[JOURNAL_HEADER_SIZE + i] = (unsigned char)state;
    }
    /* Zero words where pages start: any bit a write sets there shows. */
    for (uint64_t offset = 0; offset < ring_size; offset += PAGE)
        memset(image + JOURNAL_HEADER_SIZE + offset, 0, sizeof(uint64_t));
    return image;
}

static void no_byte_changes(void)
{
    unsigned char *image = heap_image(SMALL_RING);
    unsigned char *before = malloc(JOURNAL_HEADER_SIZE + SMALL_RING);
    message_ring ring;

    open_ring(image, SMALL_RING, 3 * PAGE + 192, 5 * PAGE + 64, &ring);
    memcpy(before, image, JOURNAL_HEADER_SIZE + SMALL_RING);
    CHECK(ring_write_ahead(&ring, SMALL_RING, 1) > 0, "nothing written ahead");
    CHECK(memcmp(before, image, JOURNAL_HEADER_SIZE + SMALL_RING) == 0, "a byte changed");
    free(before);
    free(image);
}

static void pages_of_free_space_within_the_span(void)
{
    unsigned char *image = heap_image(SMALL_RING);
    message_ring ring;

    /* Tail inside page 1: pages 2 to 5 start below tail + 4 pages. */
    open_ring(image, SMALL_RING, 0, PAGE + 904, &ring);
    CHECK(ring_write_ahead(&ring, 4 * PAGE, 0) == 4, "not the 4 pages after the tail's");
    CHECK(ring_write_ahead(&ring, 4 * PAGE, 0) == 0, "pages written again without being told to");
    CHECK(ring_write_ahead(&ring, 4 * PAGE, 1) == 4, "told to go again, not the same 4 pages");
    /* Taken up to half a span before what was written ahead: nothing. */
    ring.head = 4 * PAGE;
    CHECK(ring_write_ahead(&ring, 4 * PAGE, 0) == 0,
          "written ahead with half a span still ahead of the take");
    /* Taken further, the producers inside page 5: pages 6 to 9 start
     * below the tail + 4 pages, and none was written ahead yet. */
    ring.head = 5 * PAGE;
    ring.view.header->tail = 5 * PAGE + 100;
    CHECK(ring_write_ahead(&ring, 4 * PAGE, 0) == 4, "not pages 6 to 9");
    /* Taken into page 8, the producers there too: page 9 was written
     * ahead, pages 10 to 12 start below the tail + 4 pages and are new. */
    ring.head = 8 * PAGE + 64;
    ring.view.header->tail = 8 * PAGE + 100;
    CHECK(ring_write_ahead(&ring, 4 * PAGE, 0) == 3, "not pages 10 to 12 alone");

    /* Free space ends at release + ring size: the span stops there. */
    open_ring(image, SMALL_RING, 2 * PAGE, SMALL_RING + PAGE - 64, &ring);
    CHECK(ring_write_ahead(&ring, SMALL_RING, 1) == 1, "past the free space's end");

    /* A full ring: nothing is free. */
    open_ring(image, SMALL_RING, 4 * PAGE, 4 * PAGE + SMALL_RING, &ring);
    CHECK(ring_write_ahead(&ring, SMALL_RING, 1) == 0, "a full ring written ahead");
    free(image);
}

static long thread_faults(void)
{
    struct rusage usage;

    getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_minflt + usage.ru_majflt;
}

/* One word of each ring page written, as posts write records. Returns the
 * faults that took. */
static long write_each_page(unsigned char *ring_bytes, uint64_t ring_size)
{
    long before = thread_faults();

    for (uint64_t offset = 0; offset < ring_size; offset += PAGE)
        __atomic_store_n((volatile uint64_t *)(void *)(ring_bytes + offset), offset + 1, __ATOMIC_RELAXED);
    return thread_faults() - before;
}

typedef struct write_ahead_job {
    message_ring *ring;
    unsigned pages;
    long faults;
} write_ahead_job;

static void *write_ahead_on_a_thread(void *parameter)
{
    write_ahead_job *job = parameter;
    long before = thread_faults();

    job->pages = ring_write_ahead(job->ring, WRITE_BACK_RING, 1);
    job->faults = thread_faults() - before;
    return NULL;
}

/* Returns 0 when run, 77 when the file system does not show the faults. */
static int writes_after_a_write_back_take_no_fault(const char *folder)
{
    char path[4096];
    size_t size = JOURNAL_HEADER_SIZE + WRITE_BACK_RING;
    unsigned pages = WRITE_BACK_RING / PAGE;
    unsigned char *image;
    message_ring ring;
    write_ahead_job job = { .ring = &ring };
    pthread_t thread;
    long without;
    long with;
    int file;

    snprintf(path, sizeof path, "%s/write-back.journal", folder);
    file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (file < 0 || ftruncate(file, (off_t)size) != 0) {
        perror(path);
        exit(1);
    }
    image = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
    if (image == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    memset(image, 0, size);
    open_ring(image, WRITE_BACK_RING, 0, 0, &ring);

    /* Without the write ahead: written back, then each page faults. */
    msync(image, size, MS_SYNC);
    without = write_each_page(ring.view.ring, WRITE_BACK_RING);
    if (without < pages / 2) {
        printf("SKIP writes_after_a_write_back_take_no_fault: %ld faults for %u pages after a write-back on "
               "%s: this file system does not write-protect clean pages\n",
               without, pages, folder);
        munmap(image, size);
        close(file);
        unlink(path);
        return 77;
    }
    /* With it, on another thread: the faults are that thread's. */
    msync(image, size, MS_SYNC);
    pthread_create(&thread, NULL, write_ahead_on_a_thread, &job);
    pthread_join(thread, NULL);
    with = write_each_page(ring.view.ring, WRITE_BACK_RING);
    printf("after a write-back: %ld faults writing %u pages; after a write ahead (%u pages, %ld faults on "
           "its "
           "thread): %ld\n",
           without, pages, job.pages, job.faults, with);
    CHECK(job.pages == pages, "%u pages written ahead, not the %u of the free ring", job.pages, pages);
    CHECK(job.faults >= pages / 2, "the write ahead took %ld faults for %u pages", job.faults, pages);
    CHECK(with <= 2, "the posts still took %ld faults", with);
    munmap(image, size);
    close(file);
    unlink(path);
    return 0;
}

int main(int argc, char **argv)
{
    int write_back;

    if (argc != 2) {
        fprintf(stderr, "usage: test_ring_write_ahead FOLDER\n");
        return 1;
    }
    no_byte_changes();
    pages_of_free_space_within_the_span();
    write_back = writes_after_a_write_back_take_no_fault(argv[1]);
    printf("%s: %d failure(s)\n", argv[0], failures);
    return failures != 0 ? 1 : write_back;
}
