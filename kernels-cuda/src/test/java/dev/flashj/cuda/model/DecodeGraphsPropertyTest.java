package dev.flashj.cuda.model;

import dev.flashj.FlashjException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code -Dflashj.cuda.graphs}: on unless "false"; a typo is an error naming the property (runs without a GPU). */
class DecodeGraphsPropertyTest {
    private final String saved = System.getProperty(CudaLlamaModel.DECODE_GRAPHS_PROPERTY);

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(CudaLlamaModel.DECODE_GRAPHS_PROPERTY);
        } else {
            System.setProperty(CudaLlamaModel.DECODE_GRAPHS_PROPERTY, saved);
        }
    }

    @Test
    void graphsAreOnUnlessTurnedOff() {
        System.clearProperty(CudaLlamaModel.DECODE_GRAPHS_PROPERTY);
        assertTrue(CudaLlamaModel.decodeGraphsFromProperty());
        System.setProperty(CudaLlamaModel.DECODE_GRAPHS_PROPERTY, "False");
        assertFalse(CudaLlamaModel.decodeGraphsFromProperty());
        System.setProperty(CudaLlamaModel.DECODE_GRAPHS_PROPERTY, "true");
        assertTrue(CudaLlamaModel.decodeGraphsFromProperty());
    }

    @Test
    void anythingElseNamesTheProperty() {
        System.setProperty(CudaLlamaModel.DECODE_GRAPHS_PROPERTY, "off");
        FlashjException e = assertThrows(FlashjException.class, CudaLlamaModel::decodeGraphsFromProperty);
        assertTrue(e.getMessage().contains("-Dflashj.cuda.graphs=off"), e.getMessage());
    }
}
