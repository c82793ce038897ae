/* A worker that serves TCP echo on thread-pool I/O, unloaded while a
 * thousand connections are open and busy: FreeLibrary(front) returns at once,
 * the stop hook closes every connection, and the worker unloads.
 * TWINSHIM_ECHO_CONNECTIONS sets the size (default 1000). */
#include <winsock2.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_support.h"
#include "twinshim/status.h"

#define DEFAULT_CONNECTIONS 1000
#define MESSAGE_SIZE 8

typedef int (*echo_status_function)(unsigned long *system_error);

static int connection_count(void)
{
    char text[16];

    if (GetEnvironmentVariableA("TWINSHIM_ECHO_CONNECTIONS", text, sizeof text) == 0)
        return DEFAULT_CONNECTIONS;
    return atoi(text) > 0 ? atoi(text) : DEFAULT_CONNECTIONS;
}

static unsigned short free_loopback_port(void)
{
    SOCKET probe = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    SOCKADDR_IN address = { .sin_family = AF_INET };
    int length = sizeof address;

    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(probe != INVALID_SOCKET);
    assert_int_equal(bind(probe, (SOCKADDR *)&address, sizeof address), 0);
    assert_int_equal(getsockname(probe, (SOCKADDR *)&address, &length), 0);
    closesocket(probe);
    return ntohs(address.sin_port);
}

static SOCKET connect_to(unsigned short port)
{
    SOCKET client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    SOCKADDR_IN address = { .sin_family = AF_INET, .sin_port = htons(port) };
    DWORD timeout = TEST_DEADLINE_MS;

    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (client == INVALID_SOCKET)
        return INVALID_SOCKET;
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout, sizeof timeout);
    if (connect(client, (SOCKADDR *)&address, sizeof address) != 0) {
        closesocket(client);
        return INVALID_SOCKET;
    }
    return client;
}

static bool receive_exactly(SOCKET client, char *buffer, int size)
{
    for (int done = 0; done < size;) {
        int got = recv(client, buffer + done, size - done, 0);
        if (got <= 0)
            return false;
        done += got;
    }
    return true;
}

/* True when the server closed the connection (EOF or reset) in time. */
static bool closed_by_server(SOCKET client)
{
    char buffer[64];

    for (;;) {
        int got = recv(client, buffer, sizeof buffer, 0);
        if (got == 0)
            return true;
        if (got < 0)
            return WSAGetLastError() == WSAECONNRESET || WSAGetLastError() == WSAECONNABORTED;
        /* echoes still in flight before the close: read on */
    }
}

static void unload_while_connections_are_busy(void **state)
{
    const fixture_file files[] = {
        { L"echo_front.dll", L"echo_front.dll", NULL },
        { L"echo_worker.dll", L"echo_worker.dll", NULL },
    };
    int count = connection_count();
    SOCKET *clients = calloc((size_t)count, sizeof *clients);
    wchar_t folder[TEST_PATH_CAPACITY];
    unsigned short port;
    char port_text[16];
    HMODULE front;
    echo_status_function status;
    double free_ms = 0;
    int closed = 0;

    (void)state;
    assert_non_null(clients);
    port = free_loopback_port();
    snprintf(port_text, sizeof port_text, "%u", port);
    assert_win32(SetEnvironmentVariableA("TWINSHIM_ECHO_PORT", port_text));
    assert_true(fixture_folder(L"echo", files, 2, folder));
    front = load_from(folder, L"echo_front.dll");
    assert_non_null(front);
    status = (echo_status_function)symbol_of(front, "echo_front_status");
    assert_non_null(status);

    /* The worker listens once its start hook has run on the session thread. */
    for (DWORD start = GetTickCount(); (clients[0] = connect_to(port)) == INVALID_SOCKET;) {
        assert_int_equal(status(NULL), SHIM_OK);
        assert_true(GetTickCount() - start < TEST_DEADLINE_MS);
        Sleep(1);
    }
    for (int i = 1; i < count; i++) {
        clients[i] = connect_to(port);
        if (clients[i] == INVALID_SOCKET)
            fail_msg("connection %d of %d failed: error %d", i, count, WSAGetLastError());
    }

    /* Every connection echoes, then gets a message it is still busy with. */
    for (int i = 0; i < count; i++) {
        char message[MESSAGE_SIZE + 1];
        char echo[MESSAGE_SIZE];
        snprintf(message, sizeof message, "ping%04d", i % 10000);
        assert_int_equal(send(clients[i], message, MESSAGE_SIZE, 0), MESSAGE_SIZE);
        assert_true(receive_exactly(clients[i], echo, MESSAGE_SIZE));
        assert_memory_equal(echo, message, MESSAGE_SIZE);
        assert_int_equal(send(clients[i], message, MESSAGE_SIZE, 0), MESSAGE_SIZE);
    }
    print_message("%d connections open and echoing\n", count);

    assert_true(free_library_within(front, TEST_DEADLINE_MS, &free_ms));
    print_message("FreeLibrary(front) with %d busy connections: %.2f ms\n", count, free_ms);

    for (int i = 0; i < count; i++)
        closed += closed_by_server(clients[i]);
    assert_int_equal(closed, count);
    assert_true(module_gone_within(L"echo_worker.dll", TEST_DEADLINE_MS));

    for (int i = 0; i < count; i++)
        closesocket(clients[i]);
    free(clients);
}

static int start_winsock(void **state)
{
    WSADATA winsock;

    (void)state;
    return WSAStartup(MAKEWORD(2, 2), &winsock);
}

static int stop_winsock(void **state)
{
    (void)state;
    return WSACleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        isolated_test(unload_while_connections_are_busy),
    };
    return cmocka_run_group_tests_name("echo_service", tests, start_winsock, stop_winsock);
}
