//! The SVG drawing layer under every figure: plotters' SVG backend (text as `<text>`,
//! no font files), colours, titles, legends, log ranges and axis labels.

use super::fmt;
use super::palette::CONTESTANTS;
use crate::stats;
use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

pub(crate) fn rgb(h: &str) -> RGBColor {
    let v = u32::from_str_radix(h.trim_start_matches('#'), 16).unwrap_or(0x7f7f7f);
    RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

pub(crate) fn color(name: &str, all: &[String]) -> RGBColor {
    rgb(&CONTESTANTS.hex(name, all))
}

pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

pub(crate) fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing: {e}")
}

/// Renders with `draw` into an SVG string of the given size.
pub(crate) fn svg(size: (u32, u32), draw: impl FnOnce(&Area) -> Result<()>) -> Result<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(buf)
}

/// A log range covering `values` with some headroom.
pub(crate) fn log_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = values
        .into_iter()
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    let lo = stats::min(&v).unwrap_or(1.0);
    let hi = stats::max(&v).unwrap_or(10.0);
    let (lo, hi) = if hi / lo < 1.5 {
        (lo / 1.5, hi * 1.5)
    } else {
        (lo / 1.25, hi * 1.25)
    };
    (lo, hi)
}

pub(crate) fn title(area: &Area, text: &str, subtitle: &str) -> Result<()> {
    area.draw(&Text::new(
        text.to_string(),
        (12, 8),
        ("sans-serif", 22).into_font().color(&BLACK),
    ))
    .map_err(err)?;
    if !subtitle.is_empty() {
        area.draw(&Text::new(
            subtitle.to_string(),
            (12, 34),
            ("sans-serif", 13).into_font().color(&RGBColor(80, 80, 80)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// A row of legend entries (colour swatch + name) starting at `(x, y)`.
pub(crate) fn legend(area: &Area, x0: i32, y: i32, entries: &[(String, RGBColor)]) -> Result<()> {
    let mut x = x0;
    for (name, c) in entries {
        area.draw(&Rectangle::new([(x, y), (x + 22, y + 4)], c.filled()))
            .map_err(err)?;
        area.draw(&Text::new(
            name.clone(),
            (x + 28, y - 5),
            ("sans-serif", 14).into_font(),
        ))
        .map_err(err)?;
        x += 40 + 8 * name.chars().count() as i32;
    }
    Ok(())
}

pub(crate) fn n_label(x: &f64) -> String {
    fmt::n(x.round() as usize)
}

pub(crate) fn short(x: &f64) -> String {
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 1.0 {
        format!("{x:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A chart with log scales on both axes.
pub(crate) type LogLogChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<LogCoord<f64>, LogCoord<f64>>>;

/// A log-log chart filling `area` (margin 12, axis label areas 36 and 60) with its mesh
/// drawn: light grid lines, the axis descriptions and label formatters given.
pub(crate) fn loglog_chart<'a, 'b>(
    area: &'a Area<'b>,
    (xlo, xhi): (f64, f64),
    (ylo, yhi): (f64, f64),
    (x_desc, x_fmt): (&str, &dyn Fn(&f64) -> String),
    (y_desc, y_fmt): (&str, &dyn Fn(&f64) -> String),
) -> Result<LogLogChart<'a, 'b>> {
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(x_fmt)
        .y_label_formatter(y_fmt)
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// `steps + 1` points evenly spaced in log scale from `lo` to `hi`.
pub(crate) fn log_grid(lo: f64, hi: f64, steps: usize) -> Vec<f64> {
    (0..=steps)
        .map(|i| lo * (hi / lo).powf(i as f64 / steps as f64))
        .collect()
}
