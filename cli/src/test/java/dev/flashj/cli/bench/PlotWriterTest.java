package dev.flashj.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PlotWriterTest {

    private static BenchResult row(String op, String shape, String device, double gflops) {
        return new BenchResult(op, shape, "f32", device, 7, 2, 1, 0.9, 1.1, gflops, 1, "compute", 0.5, 1e-7);
    }

    @Test
    void findsTheOneSweptSize() {
        List<BenchResult> sweep = List.of(row("flash-prefill", "h=8,n=256,d=64", "cpu", 1),
                row("flash-prefill", "h=8,n=512,d=64", "cpu", 2), row("flash-prefill", "h=8,n=256,d=64", "opencl:0:0", 1),
                row("flash-prefill", "h=8,n=512,d=64", "opencl:0:0", 3));
        assertEquals(Optional.of("n"), PlotWriter.sweptKey(sweep));
        assertEquals(Optional.empty(), PlotWriter.sweptKey(List.of(row("gemv", "m=1,k=2", "cpu", 1),
                row("rope", "t=1,h=2,d=4", "cpu", 1))), "different ops at one shape each: no sweep");
        assertEquals(Optional.empty(), PlotWriter.sweptKey(List.of(row("gemv", "m=1,k=2", "cpu", 1),
                row("gemv", "m=2,k=4", "cpu", 1))), "two sizes vary: no single axis");
    }

    @Test
    void drawsASweepAsAPngOfTheChartSize(@TempDir Path dir) throws Exception {
        BenchReport report = new BenchReport("2026-01-01T00:00:00Z", "test", "Java", "machine", List.of(
                new BenchReport.DeviceRun("cpu", "cpu", new BenchReport.CeilingSummary(1, "", 1, ""),
                        List.of(row("lightning", "n=1024", "cpu", 1), row("lightning", "n=2048", "cpu", 2)))));
        Path png = dir.resolve("sweep.png");
        PlotWriter.write(png, report);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1000, image.getWidth());
        assertEquals(640, image.getHeight());
    }
}
