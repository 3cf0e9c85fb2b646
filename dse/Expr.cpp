#include "dse/Expr.h"

#include <cctype>
#include <cmath>
#include <vector>

#include "models/core/Error.h"

namespace fpgallm::dse {

struct Expr::Node {
  enum class Kind { Number, Name, Unary, Binary } kind = Kind::Number;
  double value = 0;
  std::string name;  // Name, or the operator of Unary/Binary
  std::shared_ptr<const Node> a, b;
};

namespace {

using NodeP = std::shared_ptr<const Expr::Node>;

class Parser {
 public:
  Parser(const std::string& s, const std::string& where) : s_(s), where_(where) {}

  NodeP parse() {
    NodeP n = parse_or();
    skip();
    if (i_ != s_.size()) error("unexpected '" + s_.substr(i_, 1) + "'");
    return n;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    fail("{}: constraint '{}': {} at column {}", where_, s_, what, i_ + 1);
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(const std::string& op) {
    skip();
    if (s_.compare(i_, op.size(), op) != 0) return false;
    // "<" must not swallow the first half of "<=", "=" is not an operator on its own.
    if ((op == "<" || op == ">" || op == "!") && i_ + 1 < s_.size() && s_[i_ + 1] == '=') return false;
    i_ += op.size();
    return true;
  }
  static NodeP bin(const std::string& op, NodeP a, NodeP b) {
    auto n = std::make_shared<Expr::Node>();
    n->kind = Expr::Node::Kind::Binary;
    n->name = op;
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }
  NodeP parse_or() {
    NodeP n = parse_and();
    while (eat("||")) n = bin("||", n, parse_and());
    return n;
  }
  NodeP parse_and() {
    NodeP n = parse_cmp();
    while (eat("&&")) n = bin("&&", n, parse_cmp());
    return n;
  }
  NodeP parse_cmp() {
    NodeP n = parse_add();
    for (const char* op : {"<=", ">=", "==", "!=", "<", ">"})
      if (eat(op)) return bin(op, n, parse_add());
    return n;
  }
  NodeP parse_add() {
    NodeP n = parse_mul();
    for (;;) {
      if (eat("+")) n = bin("+", n, parse_mul());
      else if (eat("-")) n = bin("-", n, parse_mul());
      else return n;
    }
  }
  NodeP parse_mul() {
    NodeP n = parse_unary();
    for (;;) {
      if (eat("*")) n = bin("*", n, parse_unary());
      else if (eat("/")) n = bin("/", n, parse_unary());
      else if (eat("%")) n = bin("%", n, parse_unary());
      else return n;
    }
  }
  NodeP parse_unary() {
    if (eat("-") || eat("!")) {
      auto n = std::make_shared<Expr::Node>();
      n->kind = Expr::Node::Kind::Unary;
      n->name = s_[i_ - 1] == '-' ? "-" : "!";
      n->a = parse_unary();
      return n;
    }
    return parse_atom();
  }
  NodeP parse_atom() {
    skip();
    if (i_ >= s_.size()) error("expression ends early");
    if (eat("(")) {
      NodeP n = parse_or();
      if (!eat(")")) error("missing ')'");
      return n;
    }
    auto n = std::make_shared<Expr::Node>();
    const char c = s_[i_];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      size_t used = 0;
      try {
        n->value = std::stod(s_.substr(i_), &used);
      } catch (const std::exception&) {
        error("bad number");
      }
      i_ += used;
      return n;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const size_t b = i_;
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' || s_[i_] == '.'))
        ++i_;
      n->kind = Expr::Node::Kind::Name;
      n->name = s_.substr(b, i_ - b);
      if (n->name == "true" || n->name == "false") {
        n->kind = Expr::Node::Kind::Number;
        n->value = n->name == "true" ? 1.0 : 0.0;
      }
      return n;
    }
    error("unexpected '" + std::string(1, c) + "'");
  }

  const std::string& s_;
  const std::string& where_;
  size_t i_ = 0;
};

double eval_node(const Expr::Node& n, const Expr::Lookup& look) {
  using K = Expr::Node::Kind;
  switch (n.kind) {
    case K::Number: return n.value;
    case K::Name: return look(n.name);
    case K::Unary: {
      const double v = eval_node(*n.a, look);
      return n.name == "-" ? -v : (v == 0.0 ? 1.0 : 0.0);
    }
    case K::Binary: break;
  }
  const std::string& op = n.name;
  const double a = eval_node(*n.a, look);
  if (op == "&&") return a != 0.0 && eval_node(*n.b, look) != 0.0 ? 1.0 : 0.0;
  if (op == "||") return a != 0.0 || eval_node(*n.b, look) != 0.0 ? 1.0 : 0.0;
  const double b = eval_node(*n.b, look);
  if (op == "+") return a + b;
  if (op == "-") return a - b;
  if (op == "*") return a * b;
  if (op == "/") return a / b;
  if (op == "%") return std::fmod(a, b);
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  if (op == ">=") return a >= b;
  if (op == "==") return a == b;
  return a != b;  // "!="
}

void collect(const Expr::Node& n, std::vector<std::string>& out) {
  if (n.kind == Expr::Node::Kind::Name) out.push_back(n.name);
  if (n.a) collect(*n.a, out);
  if (n.b) collect(*n.b, out);
}

}  // namespace

Expr Expr::parse(const std::string& text, const std::string& where) {
  Expr e;
  e.text_ = text;
  e.root_ = Parser(e.text_, where).parse();
  return e;
}

double Expr::eval(const Lookup& lookup) const { return eval_node(*root_, lookup); }

std::vector<std::string> Expr::names() const {
  std::vector<std::string> out;
  collect(*root_, out);
  return out;
}

}  // namespace fpgallm::dse
