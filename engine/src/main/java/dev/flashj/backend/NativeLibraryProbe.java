package dev.flashj.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

/**
 * Checks whether a native library (e.g. a GPU driver) can be loaded here, without keeping it
 * loaded: the library is opened in a confined arena that is closed right away.
 */
public final class NativeLibraryProbe {

    private NativeLibraryProbe() {
    }

    /** True when the dynamic linker can load {@code libraryName} (a name such as "libcuda.so.1" or a path). */
    @SuppressWarnings("restricted") // loading a library needs native access, which the launcher enables
    public static boolean isLoadable(String libraryName) {
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup.libraryLookup(libraryName, arena);
            return true;
        } catch (IllegalArgumentException | IllegalCallerException | UnsatisfiedLinkError e) {
            // IllegalArgumentException: not found or not loadable; IllegalCallerException: native access denied.
            return false;
        }
    }

    /** "NAME found" or "NAME not found", for availability reasons. */
    public static String describe(String libraryName) {
        return libraryName + (isLoadable(libraryName) ? " found" : " not found");
    }
}
