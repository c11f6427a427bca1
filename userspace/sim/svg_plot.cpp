#include "svg_plot.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

namespace dtcp::sim {

double nice_step(double span, int target)
{
    if (span <= 0 || target <= 0)
        return 1;
    const double raw = span / target;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw)
            return m * mag;
    return 10 * mag;
}

namespace {

std::string escape(const std::string& s)
{
    std::string o;
    for (char c : s) {
        switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&quot;"; break;
        default: o += c;
        }
    }
    return o;
}

std::string tick_label(double v)
{
    if (std::fabs(v - std::round(v)) < 1e-9 && std::fabs(v) < 1e15)
        return fmt::format("{:.0f}", v);
    return fmt::format("{:g}", v);
}

} // namespace

std::string SvgPlot::render(int width, int height) const
{
    static constexpr std::array<const char*, 6> colors{"#1f77b4", "#d62728", "#2ca02c",
                                                       "#9467bd", "#ff7f0e", "#8c564b"};
    static constexpr std::array<const char*, 6> dashes{"", "6,3", "2,3", "8,3,2,3", "", "4,4"};
    auto color_of = [&](std::size_t i) {
        const int c = series_[i].color;
        return colors[(c >= 0 ? static_cast<std::size_t>(c) : i) % colors.size()];
    };
    auto dash_of = [&](std::size_t i) {
        if (series_[i].color >= 0)
            return series_[i].dashed ? "5,4" : "";
        return dashes[i % dashes.size()];
    };
    const double left = 80, right = 250, top = 50, bottom = 60;
    const double pw = width - left - right, ph = height - top - bottom;

    double xmin = 0, xmax = 1, ymax = 0;
    bool first = true;
    for (const auto& s : series_)
        for (auto [x, y] : s.points) {
            if (first) {
                xmin = xmax = x;
                first = false;
            }
            xmin = std::min(xmin, x);
            xmax = std::max(xmax, x);
            ymax = std::max(ymax, y);
        }
    if (xmax <= xmin)
        xmax = xmin + 1;
    const double xstep = nice_step(xmax - xmin, 8);
    xmin = std::floor(xmin / xstep) * xstep;
    xmax = std::ceil(xmax / xstep) * xstep;
    const double ystep = nice_step(ymax > 0 ? ymax : 1, 6);
    const double ytop = std::max(ystep, std::ceil(ymax * 1.02 / ystep) * ystep);
    auto X = [&](double x) { return left + (x - xmin) / (xmax - xmin) * pw; };
    auto Y = [&](double y) { return top + ph - y / ytop * ph; };

    std::string o = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
        "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n"
        "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        "<text x=\"{2}\" y=\"28\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">{3}</text>\n",
        width, height, left + pw / 2, escape(title_));
    // Grid and ticks.
    for (double y = 0; y <= ytop + ystep / 2; y += ystep)
        o += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#ddd\"/>\n"
                         "<text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                         left, Y(y), left + pw, left - 6, Y(y) + 4, tick_label(y));
    for (double x = xmin; x <= xmax + xstep / 2; x += xstep)
        o += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#eee\"/>\n"
                         "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
                         X(x), top, top + ph, top + ph + 18, tick_label(x));
    o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n",
                     left, top, pw, ph);
    o += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\">{}</text>\n",
                     left + pw / 2, height - 15, escape(x_label_));
    o += fmt::format("<text transform=\"translate(18,{:.1f}) rotate(-90)\" text-anchor=\"middle\" "
                     "font-size=\"13\">{}</text>\n",
                     top + ph / 2, escape(y_label_));
    // Series.
    for (std::size_t i = 0; i < series_.size(); ++i) {
        const auto& s = series_[i];
        const char* color = color_of(i);
        std::string pts;
        for (auto [x, y] : s.points)
            pts += fmt::format("{:.1f},{:.1f} ", X(x), Y(y));
        o += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-dasharray=\"{}\" "
                         "points=\"{}\"/>\n",
                         color, dash_of(i), pts);
        for (auto [x, y] : s.points)
            o += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", X(x), Y(y), color);
    }
    // Legend, right of the plot.
    const double lh = 18, lw = 230, lx = left + pw + 10;
    o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"white\" stroke=\"#999\"/>\n",
                     lx, top, lw, lh * static_cast<double>(series_.size()) + 8);
    for (std::size_t i = 0; i < series_.size(); ++i) {
        const double y = top + 17 + lh * static_cast<double>(i);
        const char* color = color_of(i);
        o += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"{3}\" "
                         "stroke-width=\"2\" stroke-dasharray=\"{4}\"/>\n"
                         "<text x=\"{5}\" y=\"{6:.1f}\">{7}</text>\n",
                         lx + 8, y - 4, lx + 38, color, dash_of(i), lx + 46, y,
                         escape(series_[i].name));
    }
    o += "</svg>\n";
    return o;
}

} // namespace dtcp::sim
