"""The peer framework `tfmodels bench` times: PyTorch, in a process of its own (never one with
TensorFlow), the same model and optimizer settings, at its best on the CPU."""

from __future__ import annotations

import os

from tfmodels.bench import workload

__all__ = ["Torch", "TorchCompile", "residual_convnet"]


class Torch:
    """PyTorch on the CPU, the same model and optimizer settings (Keras's RMSprop defaults), at
    its best here: every core, denormals flushed."""

    compile = False
    device = "cpu"

    def __init__(self, x, y, batch):
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
        torch.set_flush_denormal(True)  # else RMSprop's tiny squares go denormal and crawl
        self.torch = torch
        self.x = torch.from_numpy(x).to(self.device)
        self.y = torch.from_numpy(y.argmax(1)).to(self.device)
        self.batch = batch
        nn = torch.nn
        if workload.MODEL == "mlp":
            layers = [nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10)]
        else:  # channels first, as PyTorch's convolutions want them
            self.x = self.x.reshape(-1, 1, 28, 28)
            layers = [nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Dropout(0.25), nn.Linear(8 * 14 * 14, 10)]
        if workload.MODEL == "resnet":
            self.model = residual_convnet(torch).to(self.device)
        else:
            self.model = nn.Sequential(*layers).to(self.device)
        parameters = self.model.parameters()
        self.optimizer = (torch.optim.RMSprop(parameters, lr=1e-3, alpha=0.9, eps=1e-7)
                          if workload.MODEL == "mlp"
                          else torch.optim.Adam(parameters, lr=0.005, eps=1e-7))
        self.loss = torch.nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits
        self.forward = torch.compile(self.model) if self.compile else self.model

    def epoch(self):
        order = self.torch.randperm(len(self.x), device=self.device)
        for i in range(0, len(order), self.batch):
            idx = order[i:i + self.batch]
            self.optimizer.zero_grad()
            self.loss(self.forward(self.x[idx]), self.y[idx]).backward()
            self.optimizer.step()


class TorchCompile(Torch):
    """The same, with `torch.compile` (its default Inductor backend)."""

    compile = True


def residual_convnet(torch):
    """`digits_resnet` in PyTorch, for timing: conv 8 -> BN -> [conv 8 -> BN] + identity ->
    [conv 16 stride 2 -> BN] + 1x1 conv 16 stride 2 -> Flatten -> Linear 10 (relu after each
    3x3 conv; BN as Keras's: momentum 0.9 is PyTorch's 0.1, epsilon 1e-3). Padding 1 stands for
    TF's 'same' (at stride 2 TF pads one pixel after, PyTorch one each side: the same cost)."""
    nn = torch.nn

    def conv_bn(cin, cout, stride):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.ReLU(),
                             nn.BatchNorm2d(cout, eps=1e-3, momentum=0.1))

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem, self.body = conv_bn(1, 8, 1), conv_bn(8, 8, 1)
            self.down, self.project = conv_bn(8, 16, 2), nn.Conv2d(8, 16, 1, stride=2)
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 14 * 14, 10))

        def forward(self, x):
            h = self.stem(x)
            h = self.body(h) + h  # the identity shortcut
            return self.head(self.down(h) + self.project(h))  # the projection shortcut

    return Residual()
