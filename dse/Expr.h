#pragma once
#include <functional>
#include <memory>
#include <string>

namespace fpgallm::dse {

/**
 * A constraint between sweep axes, e.g. "pe_rows * pe_cols <= 256 && channels >= 2". Numbers,
 * names (axis names or dotted field paths), + - * / %, comparisons (< <= > >= == !=), && || !,
 * parentheses. Booleans are 1/0. Parsed once; evaluated per point through a name lookup.
 */
class Expr {
 public:
  /** Throws fpgallm::Error naming `where` and the column of a syntax error. */
  static Expr parse(const std::string& text, const std::string& where);

  using Lookup = std::function<double(const std::string& name)>;
  double eval(const Lookup& lookup) const;
  /** Every name the expression reads (to check them against the axes before running). */
  std::vector<std::string> names() const;
  const std::string& text() const { return text_; }

  struct Node;

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

}  // namespace fpgallm::dse
