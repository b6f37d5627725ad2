package dev.flashj.backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeLibraryProbeTest {

    @Test
    @EnabledOnOs(OS.LINUX)
    void findsTheCLibrary() {
        assertTrue(NativeLibraryProbe.isLoadable("libc.so.6"));
        assertEquals("libc.so.6 found", NativeLibraryProbe.describe("libc.so.6"));
    }

    @Test
    void missingLibraryIsNotAnError() {
        assertFalse(NativeLibraryProbe.isLoadable("libflashj-no-such-library.so.7"));
        assertEquals("libflashj-no-such-library.so.7 not found",
                NativeLibraryProbe.describe("libflashj-no-such-library.so.7"));
    }
}
