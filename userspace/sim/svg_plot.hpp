// A line chart written as standalone SVG: axes with ticks, grid, legend and title.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dtcp::sim {

struct Series {
    std::string name;
    std::vector<std::pair<double, double>> points; // (x, y), drawn in the given order
    int color = -1;      // palette index; -1: by position, with a per-series dash pattern
    bool dashed = false; // with an explicit color: dashed instead of solid
};

class SvgPlot {
public:
    SvgPlot(std::string title, std::string x_label, std::string y_label)
        : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label))
    {
    }
    void add(Series s) { series_.push_back(std::move(s)); }
    std::string render(int width = 900, int height = 500) const;

private:
    std::string title_, x_label_, y_label_;
    std::vector<Series> series_;
};

// Tick step of about `target` ticks over [0, span]: 1, 2 or 5 times a power of ten.
double nice_step(double span, int target);

} // namespace dtcp::sim
